/**
 * The device credential: `mtd1.{tenant}.{device}.{secret}`, each part base64url. The tenant and the device come
 * from the credential alone; the secret is 256 random bits, returned once at activation and stored only as its
 * SHA-256 hash (hex), compared in constant time.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const prefix = 'mtd1';
const secretBytes = 32;
const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const base64url = /^[A-Za-z0-9_-]+$/;

export interface IssuedCredential {
  /** The bearer value handed to the agent, once. Never stored or logged. */
  readonly token: string;
  /** SHA-256 (hex) of the secret: what the device row keeps. */
  readonly hash: string;
}

export interface PresentedCredential {
  readonly tenantId: string;
  readonly deviceId: string;
  readonly secret: Buffer;
}

export function hashSecret(secret: Buffer): string {
  return createHash('sha256').update(secret).digest('hex');
}

function encode(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

function decode(part: string): string | undefined {
  if (!base64url.test(part)) return undefined;
  const text = Buffer.from(part, 'base64url').toString('utf8');
  // Only the canonical encoding is accepted, so one credential has one spelling.
  return encode(text) === part ? text : undefined;
}

/** A fresh credential for a device (tenant id and device id are lower-case GUIDs). */
export function issueCredential(tenantId: string, deviceId: string, random: (size: number) => Buffer = randomBytes): IssuedCredential {
  const secret = random(secretBytes);
  return { token: `${prefix}.${encode(tenantId)}.${encode(deviceId)}.${secret.toString('base64url')}`, hash: hashSecret(secret) };
}

/** The parts of a presented credential, or undefined when it is not one of ours (no storage is touched). */
export function parseCredential(token: string): PresentedCredential | undefined {
  const parts = token.split('.');
  if (parts.length !== 4 || parts[0] !== prefix) return undefined;
  const [, tenantPart = '', devicePart = '', secretPart = ''] = parts;
  const tenantId = decode(tenantPart);
  const deviceId = decode(devicePart);
  if (!tenantId || !deviceId || !guidPattern.test(tenantId) || !guidPattern.test(deviceId)) return undefined;
  if (!base64url.test(secretPart)) return undefined;
  const secret = Buffer.from(secretPart, 'base64url');
  if (secret.length !== secretBytes || secret.toString('base64url') !== secretPart) return undefined;
  return { tenantId, deviceId, secret };
}

/** Whether `secret` hashes to `storedHash`, compared in constant time. */
export function secretMatches(storedHash: string | undefined, secret: Buffer): boolean {
  if (!storedHash || !/^[0-9a-f]{64}$/.test(storedHash)) return false;
  const expected = Buffer.from(storedHash, 'hex');
  const actual = createHash('sha256').update(secret).digest();
  return timingSafeEqual(expected, actual);
}

/** A short, non-secret id of a credential generation (derived from its hash) used to scope report sequences. */
export function credentialSession(storedHash: string | undefined): string {
  return (storedHash ?? '').slice(0, 16);
}

/**
 * A silent rotation's new secret, derived from the secret it replaces and a random nonce kept on the device row:
 * HMAC-SHA256(previous secret, `mtd1 rotation|{nonce}`). Only a holder of the previous secret can compute it, and an
 * agent that lost the heartbeat answer (or raced two heartbeats) gets the same credential again by presenting the
 * previous one within its grace period, without the service ever storing a credential.
 */
export function deriveRotatedCredential(tenantId: string, deviceId: string, previousSecret: Buffer, nonce: string): IssuedCredential {
  const secret = createHmac('sha256', previousSecret).update(`mtd1 rotation|${nonce}`).digest();
  return { token: `${prefix}.${encode(tenantId)}.${encode(deviceId)}.${secret.toString('base64url')}`, hash: hashSecret(secret) };
}

/** A fresh rotation nonce (128 random bits, hex). */
export function rotationNonce(random: (size: number) => Buffer = randomBytes): string {
  return random(16).toString('hex');
}
