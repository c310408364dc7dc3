/**
 * An attempt whose outcome is never recorded (the process stopped mid-post) loses nothing: the next attempt, scheduled
 * before the post began, runs after the time-out, records the lost attempt and delivers; the late outcome of the
 * interrupted attempt, should it still come, changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsPoster, type PostResult, type WebhookPoster } from '../../../shared/webhooks/runtime.js';
import { call, deviceEvent, startWebhookHarness, type WebhookHarness } from './harness.js';

let h: WebhookHarness;
let releaseLost: (() => void) | undefined;

/** The first post to /lost never comes back until released: as if the process had stopped after claiming it. */
const poster: WebhookPoster = (request) => {
  if (request.url.pathname === '/lost' && !releaseLost) {
    return new Promise<PostResult>((resolve) => {
      releaseLost = () => resolve({ kind: 'answer', status: 500, durationMs: 1 });
    });
  }
  return httpsPoster(request);
};

beforeAll(async () => {
  h = await startWebhookHarness({ post: poster });
});

afterAll(async () => {
  releaseLost?.();
  await h?.close();
});

describe('an interrupted attempt', () => {
  it('is followed by the attempt scheduled before it, and its late outcome is ignored', async () => {
    const receiver = await h.receiver();
    const created = await call(h.host, 'POST', 'v1/console/webhooks', h.tokens.admin, { url: `${receiver.url}/lost`, types: ['device.risk_changed'] });
    expect(created.status).toBe(201);
    const event = deviceEvent(h.contoso);
    await h.publish([event]);
    // Time-out 1 s + margin 0.5 s: the scheduled next attempt delivers.
    await receiver.waitFor((got) => got.some((d) => d.headers['webhook-id'] === event.id), 10_000);
    const read = async () => (await call(h.host, 'GET', `v1/console/webhooks/${String(created.body.id)}/deliveries`, h.tokens.admin)).body.items as {
      status: string;
      attempts: { attempt: number; statusCode: number | null; error: string | null }[];
    }[];
    let log = await read();
    for (let i = 0; i < 50 && log[0]?.status !== 'delivered'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      log = await read();
    }
    expect(log[0]?.status).toBe('delivered');
    expect(log[0]?.attempts.map((a) => [a.attempt, a.statusCode, a.error])).toEqual([
      [1, null, 'no outcome was recorded (the attempt was interrupted)'],
      [2, 204, null],
    ]);
    // The interrupted attempt's outcome arrives late: the delivery stays as it is.
    releaseLost?.();
    await h.runtime.idle();
    const after = await read();
    expect(after[0]).toMatchObject({ status: 'delivered', attempts: log[0]?.attempts });
  });
});
