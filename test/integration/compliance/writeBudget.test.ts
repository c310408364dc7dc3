/**
 * The storage-backed Intune write budget, shared by every instance through one row: the limit holds across
 * instances, work whose room is about to free up waits for it, and work turned away is spread out.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/base/clock.js';
import { createWriteBudget } from '../../../shared/compliance/writeBudget.js';
import { createTestTableStore } from '../../support/tables.js';

const settings = { limit: 200, windowMs: 20_000 };

/** A clock that moves only when the budget waits, so a wait is seen exactly. */
function virtualTime() {
  const clock = new ManualClock('2026-03-01T00:00:00.000Z');
  const waits: number[] = [];
  const sleep = (ms: number): Promise<void> => {
    waits.push(ms);
    clock.advance(ms);
    return Promise.resolve();
  };
  return { clock, waits, sleep };
}

describe('the shared write budget', () => {
  it('never grants more than the limit to instances taking at the same time', async () => {
    const tables = await createTestTableStore();
    const { clock, sleep } = virtualTime();
    const tenantId = randomUUID();
    const instances = [1, 2, 3].map(() => createWriteBudget({ tables, clock, sleep }, settings));
    const results = await Promise.all(
      Array.from({ length: 24 }, (_unused, index) => instances[index % 3]?.take(tenantId, 0, 20) ?? Promise.reject(new Error('no instance'))),
    );
    expect(results.reduce((sum, result) => sum + result.granted, 0)).toBe(200);
    // The other 280 come back later, none before the first grants leave the window.
    const later = results.flatMap((result) => result.deferrals.map((at) => at.getTime() - clock.now().getTime()));
    expect(later).toHaveLength(280);
    expect(Math.min(...later)).toBeGreaterThanOrEqual(20_000);
  });

  it('lets deferred work that is back wait for room about to free up instead of sending it back to the queue', async () => {
    const tables = await createTestTableStore();
    const { clock, waits, sleep } = virtualTime();
    const tenantId = randomUUID();
    const budget = createWriteBudget({ tables, clock, sleep }, settings);
    expect((await budget.take(tenantId, 0, 200)).granted).toBe(200);

    // 300 ms before the grants leave the window (window, margin and bucket: 20.9 s): the work waits, then goes.
    clock.advance(20_600);
    expect(await budget.room(tenantId)).toEqual({ returning: 200, fresh: 0 });
    const back = await budget.take(tenantId, 20);
    expect(back).toEqual({ granted: 20, deferrals: [] });
    expect(waits).toEqual([300]);

    // Room further away than the wait allows: turned away with a time, without waiting.
    const full = await budget.take(tenantId, 0, 180);
    expect(full.granted).toBe(180);
    clock.advance(1_000);
    const turnedAway = await budget.take(tenantId, 20);
    expect(turnedAway.granted).toBe(0);
    expect(turnedAway.deferrals).toHaveLength(20);
    expect(waits).toEqual([300]);
  });

  it('spreads work turned away on different instances over the room as it frees up', async () => {
    const tables = await createTestTableStore();
    const { clock, sleep } = virtualTime();
    const tenantId = randomUUID();
    const [a, b] = [1, 2].map(() => createWriteBudget({ tables, clock, sleep }, { ...settings, waitMs: 0 }));
    if (!a || !b) throw new Error('no instances');
    for (let i = 0; i < 10; i += 1) {
      await a.take(tenantId, 0, 20);
      clock.advance(1_000);
    }
    const first = await a.take(tenantId, 20);
    const second = await b.take(tenantId, 20);
    expect(first.granted + second.granted).toBe(0);
    const firstAt = new Set(first.deferrals.map((at) => at.getTime()));
    const secondAt = new Set(second.deferrals.map((at) => at.getTime()));
    expect(firstAt.size).toBe(1);
    expect(secondAt.size).toBe(1);
    expect([...secondAt][0]).toBeGreaterThan([...firstAt][0] ?? Infinity);
  });

  it('hands out times without granting anything for work that is not looked at now', async () => {
    const tables = await createTestTableStore();
    const { clock, sleep } = virtualTime();
    const tenantId = randomUUID();
    const budget = createWriteBudget({ tables, clock, sleep }, settings);
    await budget.take(tenantId, 0, 200);
    const times = await budget.defer(tenantId, 0, 50);
    expect(times).toHaveLength(50);
    // New work deferred lines up: new work after it waits behind it, even once room frees up.
    clock.advance(21_000);
    expect((await budget.room(tenantId)).fresh).toBe(0);
    expect((await budget.room(tenantId)).returning).toBe(200);
  });
});
