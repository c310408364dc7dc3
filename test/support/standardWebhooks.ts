/**
 * An independent implementation of Standard Webhooks verification (not the `standardwebhooks` package the service
 * signs with): node:crypto HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the bytes after
 * `whsec_` (base64), compared as `v1,<base64>` against each space-separated signature.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export function independentSignature(secret: string, id: string, timestamp: string, body: string): string {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** True when one of the header's signatures is the secret's. */
export function verifiesWith(secret: string, headers: Readonly<Record<string, string | undefined>>, body: string): boolean {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (!id || !timestamp || !signatures) return false;
  const expected = Buffer.from(independentSignature(secret, id, timestamp, body));
  return signatures.split(' ').some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
