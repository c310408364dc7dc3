/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): `webhook-signature` is `v1,` + base64 of
 * HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the bytes of the endpoint's secret
 * (`whsec_` + base64 of those bytes). During a rotation both signatures are sent, the new one first, space-separated.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

export const secretPrefix = 'whsec_';

/** 32 random bytes: the secret shown once, at creation or rotation. */
export function newWebhookSecret(): string {
  return `${secretPrefix}${randomBytes(32).toString('base64')}`;
}

export interface SignedHeaders {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
}

/** The three headers of a delivery. `secrets` lists the current secret first, then any still-valid previous one. */
export function signDelivery(secrets: readonly string[], eventId: string, at: Date, body: string): SignedHeaders {
  const timestamp = new Date(Math.floor(at.getTime() / 1000) * 1000);
  const signatures = secrets.map((secret) => new Webhook(secret).sign(eventId, timestamp, body));
  return {
    'webhook-id': eventId,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}
