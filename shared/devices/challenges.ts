/**
 * Activation challenges (CONTRACT.md, "Agent trust"): random, single use, valid 5 minutes, bound to the user and the
 * tenant. A challenge is a row beside the device rows (`devices` table, the user's partition `devicePartitionKey(
 * tenant, user)`, RowKey `~ch|{userId}|{slot}`), so every instance can use it up exactly once:
 *
 * - issue: one upsert. The slot comes from the challenge's first byte (4 slots): a user holds at most 4 challenges,
 *   a fifth replaces one (an agent uses its challenge within seconds of fetching it);
 * - use: one point read (slot from the challenge, so no search) and one delete conditioned on the row's ETag: of two
 *   activations presenting the same challenge, exactly one deletes it; the other sees 412 (or 404) and is refused.
 *   It is used up whatever the activation's outcome.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { statusOf } from '../base/errors.js';
import { readEntity } from '../storage/entities.js';
import type { TableStore } from '../storage/tableStore.js';
import { devicePartitionKey } from './device.js';

export const challengeLifetimeMs = 5 * 60_000;
const challengeBytes = 32;
const slots = 4;

export const challengeText = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, { message: 'must be a challenge from POST /api/v1/device/challenge' });

export const challengeResponseSchema = z.object({
  challenge: z.string().describe('base64url of 32 random bytes; single use, for this user only.'),
  expiresAt: z.iso.datetime().describe('When the challenge stops being accepted (5 minutes after its issue).'),
});

const rowSchema = z.object({ challenge: z.string(), expiresAt: z.string() });

function rowKey(userId: string, challenge: string): string {
  const slot = (Buffer.from(challenge, 'base64url')[0] ?? 0) % slots;
  return `~ch|${userId}|${slot}`;
}

export async function issueChallenge(
  tables: TableStore,
  user: { tenantId: string; userId: string },
  now: Date,
): Promise<{ challenge: string; expiresAt: string }> {
  const tenantId = user.tenantId.toLowerCase();
  const userId = user.userId.toLowerCase();
  const challenge = randomBytes(challengeBytes).toString('base64url');
  const expiresAt = new Date(now.getTime() + challengeLifetimeMs).toISOString();
  await tables.table('devices').upsertEntity(
    { partitionKey: devicePartitionKey(tenantId, userId), rowKey: rowKey(userId, challenge), challenge, expiresAt, issuedAt: now.toISOString() },
    'Replace',
  );
  return { challenge, expiresAt };
}

export type ChallengeUse = 'used' | 'unknown' | 'expired';

/** Uses the challenge up: `used` when it was this user's, unexpired and unused (and is now gone for everyone). */
export async function useChallenge(
  tables: TableStore,
  user: { tenantId: string; userId: string },
  challenge: string,
  now: Date,
): Promise<ChallengeUse> {
  const tenantId = user.tenantId.toLowerCase();
  const userId = user.userId.toLowerCase();
  const partitionKey = devicePartitionKey(tenantId, userId);
  const key = rowKey(userId, challenge);
  const table = tables.table('devices');
  const found = await readEntity(table, rowSchema, partitionKey, key);
  if (!found || !sameText(found.challenge, challenge)) return 'unknown';
  try {
    await table.deleteEntity(partitionKey, key, { etag: found.etag });
  } catch (error) {
    const status = statusOf(error);
    if (status === 412 || status === 404) return 'unknown';
    throw error;
  }
  return new Date(found.expiresAt).getTime() > now.getTime() ? 'used' : 'expired';
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
