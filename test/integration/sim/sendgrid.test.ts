/**
 * SendGrid in the simulator, through the real @sendgrid/mail with a client whose base URL is the simulator.
 */
import { Client } from '@sendgrid/client';
import { MailService } from '@sendgrid/mail';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../../dev/sim/server.js';
import { control, startTestSimulator } from './simFixture.js';

let sim: Simulator;

beforeAll(async () => {
  sim = await startTestSimulator();
});
afterAll(async () => {
  await sim.close();
});

function mailer(apiKey: string): MailService {
  const client = new Client();
  client.setApiKey(apiKey);
  client.setDefaultRequest('baseUrl', sim.url);
  const mail = new MailService();
  mail.setClient(client);
  return mail;
}

describe('mail send', () => {
  it('accepts a message with 202 and an X-Message-Id, and shows it in the read-back', async () => {
    const [response] = await mailer('SG.sim-api-key').send({
      to: ['admin@contoso.com', { email: 'secops@contoso.com', name: 'SecOps' }],
      from: { email: 'alerts@mtd.example', name: 'MTD Connector' },
      subject: 'High risk device',
      text: 'A device is at high risk.',
      html: '<p>A device is at <b>high</b> risk.</p>',
    });
    expect(response.statusCode).toBe(202);
    const headers = response.headers as Record<string, string>;
    const messageId = headers['x-message-id'];
    expect(messageId).toMatch(/^[\w-]{22}$/);

    const read = await control(sim, 'GET', '/_sim/mail');
    expect((read.body as { value: unknown[] }).value).toEqual([
      expect.objectContaining({
        messageId,
        from: 'alerts@mtd.example',
        to: ['admin@contoso.com', 'secops@contoso.com'],
        subject: 'High risk device',
        text: 'A device is at high risk.',
        html: '<p>A device is at <b>high</b> risk.</p>',
      }),
    ]);
    expect((await control(sim, 'DELETE', '/_sim/mail')).status).toBe(204);
    expect(sim.state.sentMail()).toEqual([]);
  });

  it('answers a wrong API key with 401 and SendGrid error body', async () => {
    await expect(mailer('SG.wrong').send({ to: 'a@b.com', from: 'c@d.com', subject: 's', text: 't' })).rejects.toMatchObject({
      code: 401,
      response: { body: { errors: [{ message: 'The provided authorization grant is invalid, expired, or revoked', field: null }] } },
    });
    expect(sim.state.sentMail()).toEqual([]);
  });

  it('validates the payload as SendGrid does (400 with errors[].field)', async () => {
    const post = async (body: unknown): Promise<{ status: number; body: { errors?: { field: string | null }[] } }> => {
      const res = await fetch(`${sim.url}/v3/mail/send`, {
        method: 'POST',
        headers: { authorization: 'Bearer SG.sim-api-key', 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as { errors?: { field: string | null }[] } };
    };
    const missing = await post({ personalizations: [{ to: [] }], content: [{ type: 'text/html', value: 'x' }, { type: 'text/plain', value: 'y' }] });
    expect(missing.status).toBe(400);
    expect(missing.body.errors?.map((e) => e.field).sort()).toEqual(['content.1.type', 'from.email', 'personalizations.0.to', 'subject']);
    const perPersonalizationSubject = await fetch(`${sim.url}/v3/mail/send`, {
      method: 'POST',
      headers: { authorization: 'Bearer SG.sim-api-key', 'content-type': 'application/json' },
      body: JSON.stringify({ personalizations: [{ to: [{ email: 'a@b.com' }], subject: 'hi' }], from: { email: 'c@d.com' }, content: [{ type: 'text/plain', value: 'x' }] }),
    });
    expect(perPersonalizationSubject.status).toBe(202);
    expect(sim.state.sentMail().at(-1)?.subject).toBe('hi');
  });
});
