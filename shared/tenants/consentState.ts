/**
 * The `state` of an admin-consent round trip: signed (HMAC-SHA256), bound to one tenant, valid for 10 minutes,
 * and single use.
 *
 * `state = base64url(JSON { v, t: tenantId, n: nonce, e: expiresAtMs }) + "." + base64url(HMAC)`. The HMAC key is
 * 32 random bytes generated once and kept in the `consentStates` table (PartitionKey `_signing`), sealed with a key the
 * tables do not hold (shared/base/secretBox.ts; a key stored before that is sealed when next read), read once per
 * process, never logged or returned. The nonce has a row (`consentStates`, PartitionKey = tenant id, RowKey = nonce)
 * that the callback marks used with an ETag write, so a state is accepted once even when two callbacks race. Nonce
 * rows whose state has expired are deleted on the way through: when the tenant's next state is issued and when a
 * callback for the tenant is handled (one partition query of that tenant's few rows; nothing periodic scans).
 *
 * The consent link of a tenant carries `sig = base64url(HMAC(key, "consent-link:" + tenantId))`, so only the link
 * provisioning handed out starts consent; it does not expire (the tenant's state decides what a start does).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { statusOf } from '../base/errors.js';
import type { SecretBox } from '../base/secretBox.js';
import { listAll, NO_CHANGE, odata, readEntity, updateEntity } from '../storage/index.js';
import type { TableStore } from '../storage/index.js';

export const consentStateLifetimeMs = 10 * 60 * 1000;

const signingPartition = '_signing';
const signingRow = 'consent-state-hmac-sha256';
/** What the sealed key is bound to: its row. */
const signingContext = `consentStates/${signingPartition}/${signingRow}`;

const keyEntitySchema = z.object({ key: z.string().min(40) });
const nonceEntitySchema = z.object({ expiresAt: z.string(), usedAt: z.string().optional() });
const payloadSchema = z.strictObject({
  v: z.literal(1),
  t: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
  n: z.string().regex(/^[A-Za-z0-9_-]{22,64}$/),
  e: z.number().int().positive(),
});
export type ConsentStatePayload = z.output<typeof payloadSchema>;

export type ConsentStateFailure = 'malformed' | 'forged' | 'expired' | 'replayed' | 'unknown';

export class ConsentStateError extends Error {
  readonly code = 'ERR_CONSENT_STATE';
  constructor(readonly reason: ConsentStateFailure) {
    super(`The consent state is ${reason}`);
    this.name = 'ConsentStateError';
  }
}

const cachedByStore = new WeakMap<TableStore, WeakMap<SecretBox, ConsentStates>>();

/** One ConsentStates per table store (and key), so the signing key is read once per process. */
export function consentStatesFor(tables: TableStore, secrets: SecretBox): ConsentStates {
  let byBox = cachedByStore.get(tables);
  if (!byBox) {
    byBox = new WeakMap();
    cachedByStore.set(tables, byBox);
  }
  let states = byBox.get(secrets);
  if (!states) {
    states = new ConsentStates(tables, secrets);
    byBox.set(secrets, states);
  }
  return states;
}

/** Signs and checks consent states; the key is loaded (or created) on first use. */
export class ConsentStates {
  private key: Promise<Buffer> | undefined;

  constructor(
    private readonly tables: TableStore,
    private readonly secrets: SecretBox,
  ) {}

  private signingKey(): Promise<Buffer> {
    this.key ??= this.loadKey().catch((error: unknown) => {
      this.key = undefined;
      throw error;
    });
    return this.key;
  }

  private async loadKey(): Promise<Buffer> {
    const table = this.tables.table('consentStates');
    const existing = await readEntity(table, keyEntitySchema, signingPartition, signingRow);
    if (existing) return this.openKey(existing.key, existing.etag);
    try {
      const sealed = await this.secrets.seal(randomBytes(32).toString('base64'), signingContext);
      await table.createEntity({ partitionKey: signingPartition, rowKey: signingRow, key: sealed });
    } catch (caught) {
      // Another instance created it first: use theirs.
      if (statusOf(caught) !== 409) throw caught;
    }
    const created = await readEntity(table, keyEntitySchema, signingPartition, signingRow);
    if (!created) throw new Error('The consent state signing key could not be stored');
    return this.openKey(created.key, created.etag);
  }

  /** The key of a stored row; one stored in clear (or under a replaced key) is written again sealed. */
  private async openKey(stored: string, etag: string): Promise<Buffer> {
    const key = await this.secrets.open(stored, signingContext);
    if (this.secrets.needsReseal(stored)) {
      const sealed = await this.secrets.seal(key, signingContext);
      await this.tables
        .table('consentStates')
        .updateEntity({ partitionKey: signingPartition, rowKey: signingRow, key: sealed }, 'Replace', { etag })
        // Another instance sealed it first (412), or the write failed: the key is the same either way.
        .catch(() => undefined);
    }
    return Buffer.from(key, 'base64');
  }

  private async mac(encodedPayload: string): Promise<Buffer> {
    return createHmac('sha256', await this.signingKey()).update(encodedPayload).digest();
  }

  private async linkMac(tenantId: string): Promise<Buffer> {
    return createHmac('sha256', await this.signingKey()).update(`consent-link:${tenantId.toLowerCase()}`).digest();
  }

  /** The `sig` of the tenant's consent link. */
  async linkSignature(tenantId: string): Promise<string> {
    return (await this.linkMac(tenantId)).toString('base64url');
  }

  /** Whether `sig` is the tenant's consent link signature (constant time). */
  async isLinkSignature(tenantId: string, sig: string): Promise<boolean> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(sig)) return false;
    const expected = await this.linkMac(tenantId);
    const given = Buffer.from(sig, 'base64url');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** Deletes the tenant's nonce rows whose state has expired (a used one can no longer be replayed: it has expired). */
  async deleteExpired(tenantId: string, now: Date): Promise<number> {
    const table = this.tables.table('consentStates');
    const filter = odata`PartitionKey eq ${tenantId} and expiresAt lt ${now.toISOString()}`;
    let deleted = 0;
    for await (const row of listAll(table, { schema: nonceEntitySchema, filter, select: ['expiresAt'] })) {
      try {
        await table.deleteEntity(row.partitionKey, row.rowKey, { etag: row.etag });
        deleted += 1;
      } catch (caught) {
        const status = statusOf(caught);
        if (status !== 404 && status !== 412) throw caught;
      }
    }
    return deleted;
  }

  /** A new state for `tenantId`, with its nonce row stored. */
  async issue(tenantId: string, now: Date): Promise<string> {
    await this.deleteExpired(tenantId, now);
    const payload: ConsentStatePayload = {
      v: 1,
      t: tenantId,
      n: randomBytes(24).toString('base64url'),
      e: now.getTime() + consentStateLifetimeMs,
    };
    await this.tables.table('consentStates').createEntity({
      partitionKey: tenantId,
      rowKey: payload.n,
      expiresAt: new Date(payload.e).toISOString(),
    });
    const encoded = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
    return `${encoded}.${(await this.mac(encoded)).toString('base64url')}`;
  }

  /** Checks signature and expiry (no storage write): the tenant the state was issued for. */
  async verify(state: string, now: Date): Promise<ConsentStatePayload> {
    if (state.length > 1024) throw new ConsentStateError('malformed');
    const match = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/.exec(state);
    if (!match?.[1] || !match[2]) throw new ConsentStateError('malformed');
    const expected = await this.mac(match[1]);
    const given = Buffer.from(match[2], 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new ConsentStateError('forged');
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(match[1], 'base64url').toString('utf8'));
    } catch {
      throw new ConsentStateError('malformed');
    }
    const payload = payloadSchema.safeParse(json);
    if (!payload.success) throw new ConsentStateError('malformed');
    if (payload.data.e <= now.getTime()) throw new ConsentStateError('expired');
    return payload.data;
  }

  /** Marks the state's nonce used; `replayed` when it already was, `unknown` when it was never issued. */
  async consume(payload: ConsentStatePayload, now: Date): Promise<void> {
    const result: { outcome: 'used' | 'replayed' | 'unknown' | 'expired' } = { outcome: 'unknown' };
    await updateEntity(
      this.tables.table('consentStates'),
      payload.t,
      payload.n,
      (current) => {
        if (!current) {
          result.outcome = 'unknown';
          return NO_CHANGE;
        }
        if (current.usedAt !== undefined) {
          result.outcome = 'replayed';
          return NO_CHANGE;
        }
        if (Date.parse(current.expiresAt) <= now.getTime()) {
          result.outcome = 'expired';
          return NO_CHANGE;
        }
        result.outcome = 'used';
        return { expiresAt: current.expiresAt, usedAt: now.toISOString() };
      },
      { schema: nonceEntitySchema },
    );
    if (result.outcome !== 'used') throw new ConsentStateError(result.outcome);
  }
}
