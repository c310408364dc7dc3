import { createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox, isSealed, localKeyWrapper } from '../../../shared/base/secretBox.js';
import { ConsentStateError, ConsentStates, consentStateLifetimeMs } from '../../../shared/tenants/consentState.js';
import { readEntity, type TableStore } from '../../../shared/storage/index.js';
import { createTestTableStore } from '../../support/tables.js';

let tables: TableStore;
const wrappingKey = randomBytes(32);
const box = createSecretBox(localKeyWrapper(wrappingKey));
const tenantA = 'aaaaaaaa-0000-4000-8000-000000000001';
const at = new Date('2026-05-01T12:00:00.000Z');

beforeAll(async () => {
  tables = await createTestTableStore();
});

async function reason(run: () => Promise<unknown>): Promise<string> {
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConsentStateError);
  return (error as ConsentStateError).reason;
}

describe('consent states', () => {
  it('verifies a state it issued, bound to its tenant, across instances sharing the stored key', async () => {
    const state = await new ConsentStates(tables, box).issue(tenantA, at);
    const payload = await new ConsentStates(tables, box).verify(state, at);
    expect(payload.t).toBe(tenantA);
    expect(payload.e).toBe(at.getTime() + consentStateLifetimeMs);
  });

  it('refuses a tampered payload or signature', async () => {
    const states = new ConsentStates(tables, box);
    const state = await states.issue(tenantA, at);
    const [payload, signature] = state.split('.') as [string, string];
    const other = Buffer.from(Buffer.from(payload, 'base64url').toString('utf8').replace(tenantA, 'bbbbbbbb-0000-4000-8000-000000000001')).toString('base64url');
    expect(await reason(() => states.verify(`${other}.${signature}`, at))).toBe('forged');
    expect(await reason(() => states.verify(`${payload}.${signature.slice(0, -2)}AA`, at))).toBe('forged');
    expect(await reason(() => states.verify('x', at))).toBe('malformed');
  });

  it('refuses a state after ten minutes', async () => {
    const states = new ConsentStates(tables, box);
    const state = await states.issue(tenantA, at);
    await expect(states.verify(state, new Date(at.getTime() + consentStateLifetimeMs - 1))).resolves.toBeTruthy();
    expect(await reason(() => states.verify(state, new Date(at.getTime() + consentStateLifetimeMs)))).toBe('expired');
  });

  it('accepts a state once', async () => {
    const states = new ConsentStates(tables, box);
    const payload = await states.verify(await states.issue(tenantA, at), at);
    await states.consume(payload, at);
    expect(await reason(() => states.consume(payload, at))).toBe('replayed');
  });

  it('lets exactly one of concurrent consumers win', async () => {
    const states = new ConsentStates(tables, box);
    const payload = await states.verify(await states.issue(tenantA, at), at);
    const outcomes = await Promise.allSettled([1, 2, 3, 4].map(() => states.consume(payload, at)));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
  });

  it('refuses a validly signed state whose nonce was never stored', async () => {
    const states = new ConsentStates(tables, box);
    const payload = await states.verify(await states.issue(tenantA, at), at);
    expect(await reason(() => states.consume({ ...payload, n: 'n'.repeat(32) }, at))).toBe('unknown');
  });
});

describe('the consent signing key at rest', () => {
  const keyRow = z.object({ key: z.string() });
  const storedKey = async (store: TableStore): Promise<string> =>
    (await readEntity(store.table('consentStates'), keyRow, '_signing', 'consent-state-hmac-sha256'))?.key ?? '';

  it('is stored sealed: the row alone neither holds the key nor signs a link', async () => {
    const store = await createTestTableStore();
    const states = new ConsentStates(store, box);
    const sig = await states.linkSignature(tenantA);
    const stored = await storedKey(store);
    expect(isSealed(stored)).toBe(true);
    // Whoever copies the row and takes it for the key signs nothing the service accepts.
    const forged = createHmac('sha256', Buffer.from(stored, 'base64')).update(`consent-link:${tenantA}`).digest('base64url');
    expect(await states.isLinkSignature(tenantA, forged)).toBe(false);
    // Another instance with the same wrapping key verifies the link; one without it cannot open the key.
    expect(await new ConsentStates(store, createSecretBox(localKeyWrapper(wrappingKey))).isLinkSignature(tenantA, sig)).toBe(true);
    await expect(new ConsentStates(store, createSecretBox(localKeyWrapper(randomBytes(32)))).linkSignature(tenantA)).rejects.toThrow();
  });

  it('keeps a key stored in clear working, and seals it when it is next read', async () => {
    const store = await createTestTableStore();
    const clear = randomBytes(32).toString('base64');
    await store.table('consentStates').createEntity({ partitionKey: '_signing', rowKey: 'consent-state-hmac-sha256', key: clear });
    const expected = createHmac('sha256', Buffer.from(clear, 'base64')).update(`consent-link:${tenantA}`).digest('base64url');
    const states = new ConsentStates(store, box);
    expect(await states.linkSignature(tenantA)).toBe(expected);
    const stored = await storedKey(store);
    expect(isSealed(stored)).toBe(true);
    expect(stored).not.toContain(clear);
    expect(await new ConsentStates(store, box).isLinkSignature(tenantA, expected)).toBe(true);
  });

  it('still opens after the wrapping key rotates, and is sealed again under the new key', async () => {
    const store = await createTestTableStore();
    const sig = await new ConsentStates(store, box).linkSignature(tenantA);
    const before = await storedKey(store);
    const next = randomBytes(32);
    const rotated = createSecretBox(localKeyWrapper(next, [wrappingKey]));
    expect(rotated.needsReseal(before)).toBe(true);
    expect(await new ConsentStates(store, rotated).isLinkSignature(tenantA, sig)).toBe(true);
    const after = await storedKey(store);
    expect(after).not.toBe(before);
    // Sealed under the new key alone: the old one is no longer needed.
    expect(await new ConsentStates(store, createSecretBox(localKeyWrapper(next))).isLinkSignature(tenantA, sig)).toBe(true);
  });
});
