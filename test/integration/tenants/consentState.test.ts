import { beforeAll, describe, expect, it } from 'vitest';
import { ConsentStateError, ConsentStates, consentStateLifetimeMs } from '../../../shared/tenants/consentState.js';
import type { TableStore } from '../../../shared/storage/index.js';
import { createTestTableStore } from '../../support/tables.js';

let tables: TableStore;
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
    const state = await new ConsentStates(tables).issue(tenantA, at);
    const payload = await new ConsentStates(tables).verify(state, at);
    expect(payload.t).toBe(tenantA);
    expect(payload.e).toBe(at.getTime() + consentStateLifetimeMs);
  });

  it('refuses a tampered payload or signature', async () => {
    const states = new ConsentStates(tables);
    const state = await states.issue(tenantA, at);
    const [payload, signature] = state.split('.') as [string, string];
    const other = Buffer.from(Buffer.from(payload, 'base64url').toString('utf8').replace(tenantA, 'bbbbbbbb-0000-4000-8000-000000000001')).toString('base64url');
    expect(await reason(() => states.verify(`${other}.${signature}`, at))).toBe('forged');
    expect(await reason(() => states.verify(`${payload}.${signature.slice(0, -2)}AA`, at))).toBe('forged');
    expect(await reason(() => states.verify('x', at))).toBe('malformed');
  });

  it('refuses a state after ten minutes', async () => {
    const states = new ConsentStates(tables);
    const state = await states.issue(tenantA, at);
    await expect(states.verify(state, new Date(at.getTime() + consentStateLifetimeMs - 1))).resolves.toBeTruthy();
    expect(await reason(() => states.verify(state, new Date(at.getTime() + consentStateLifetimeMs)))).toBe('expired');
  });

  it('accepts a state once', async () => {
    const states = new ConsentStates(tables);
    const payload = await states.verify(await states.issue(tenantA, at), at);
    await states.consume(payload, at);
    expect(await reason(() => states.consume(payload, at))).toBe('replayed');
  });

  it('lets exactly one of concurrent consumers win', async () => {
    const states = new ConsentStates(tables);
    const payload = await states.verify(await states.issue(tenantA, at), at);
    const outcomes = await Promise.allSettled([1, 2, 3, 4].map(() => states.consume(payload, at)));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
  });

  it('refuses a validly signed state whose nonce was never stored', async () => {
    const states = new ConsentStates(tables);
    const payload = await states.verify(await states.issue(tenantA, at), at);
    expect(await reason(() => states.consume({ ...payload, n: 'n'.repeat(32) }, at))).toBe('unknown');
  });
});
