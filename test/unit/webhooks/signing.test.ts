/**
 * Signatures checked with an independent implementation of Standard Webhooks: node:crypto HMAC-SHA256 over
 * `{id}.{timestamp}.{body}` keyed with the base64-decoded bytes after `whsec_`, compared as `v1,<base64>`.
 */
import { describe, expect, it } from 'vitest';
import { newWebhookSecret, signDelivery } from '../../../shared/webhooks/signing.js';
import { independentSignature } from '../../support/standardWebhooks.js';

describe('signDelivery', () => {
  it('signs as the Standard Webhooks specification computes it', () => {
    const secret = newWebhookSecret();
    const body = JSON.stringify({ id: 'evt_1', type: 'threat.detected', data: { ünïcode: '✓' } });
    const at = new Date('2026-11-30T04:00:00.750Z');
    const headers = signDelivery([secret], 'evt_1', at, body);
    expect(headers['webhook-id']).toBe('evt_1');
    expect(headers['webhook-timestamp']).toBe(String(Math.floor(at.getTime() / 1000)));
    expect(headers['webhook-signature']).toBe(independentSignature(secret, 'evt_1', headers['webhook-timestamp'], body));
  });

  it('matches the specification example', () => {
    // From the Standard Webhooks specification's test vectors.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const body = '{"test": 2432232314}';
    const headers = signDelivery([secret], 'msg_p5jXN8AQM9LWM0D4loKWxJek', new Date(1614265330 * 1000), body);
    expect(headers['webhook-signature']).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('sends both signatures during a rotation, the new one first', () => {
    const current = newWebhookSecret();
    const previous = newWebhookSecret();
    const headers = signDelivery([current, previous], 'evt_2', new Date(), '{}');
    const ts = headers['webhook-timestamp'];
    expect(headers['webhook-signature'].split(' ')).toEqual([
      independentSignature(current, 'evt_2', ts, '{}'),
      independentSignature(previous, 'evt_2', ts, '{}'),
    ]);
  });

  it('makes secrets of 32 random bytes', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(newWebhookSecret()).not.toBe(secret);
  });
});
