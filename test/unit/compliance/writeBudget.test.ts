import { describe, expect, it } from 'vitest';
import { decide, deferralSpacingMs, type BudgetState } from '../../../shared/compliance/writeBudget.js';

const settings = { limit: 200, windowMs: 20_000 };
const empty: BudgetState = { buckets: [], blockedUntil: 0, deferredUntil: 0 };

/** Largest number of grants counted inside any window of `windowMs` (grants at their time). */
function maxInWindow(grants: { at: number; count: number }[], windowMs: number): number {
  let max = 0;
  for (const start of grants) {
    const inside = grants.filter((g) => g.at >= start.at && g.at < start.at + windowMs).reduce((sum, g) => sum + g.count, 0);
    max = Math.max(max, inside);
  }
  return max;
}

describe('the write budget', () => {
  it('grants up to the limit in a window and defers the rest to later windows, a $batch group at a time', () => {
    const first = decide(empty, 150, 1_000, settings);
    expect(first.granted).toBe(150);
    expect(first.deferrals).toEqual([]);
    const second = decide(first.state, 0, 2_000, settings, 100);
    expect(second.granted).toBe(50);
    expect(second.deferrals).toHaveLength(50);
    const times = second.deferrals.map((date) => date.getTime());
    // Not before the first grants leave the window; groups of 20 share a time; later groups come later.
    expect(Math.min(...times)).toBeGreaterThanOrEqual(21_000);
    expect(new Set(times).size).toBe(3);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('lines deferred work from several callers up one behind the other', () => {
    const full = decide(empty, 200, 0, settings);
    const a = decide(full.state, 0, 10, settings, 40);
    const b = decide(a.state, 0, 20, settings, 40);
    expect(a.granted + b.granted).toBe(0);
    const lastOfA = Math.max(...a.deferrals.map((d) => d.getTime()));
    const firstOfB = Math.min(...b.deferrals.map((d) => d.getTime()));
    expect(firstOfB).toBeGreaterThan(lastOfA);
  });

  it('never lets more than the limit through in any window when deferred work comes back on time', () => {
    let state = empty;
    const grants: { at: number; count: number }[] = [];
    // 2,000 writes asked for at once; each deferred group asks again at its time.
    const pending: number[] = [0];
    const wants = new Map<number, number>([[0, 2_000]]);
    let rounds = 0;
    while (pending.length > 0 && rounds < 10_000) {
      rounds += 1;
      pending.sort((x, y) => x - y);
      const now = pending.shift() ?? 0;
      const want = wants.get(now) ?? 0;
      wants.delete(now);
      // The first ask is new work; every later one is deferred work coming back.
      const decision = now === 0 ? decide(state, 0, now, settings, want) : decide(state, want, now, settings);
      state = decision.state;
      if (decision.granted > 0) grants.push({ at: now, count: decision.granted });
      for (const at of decision.deferrals.map((d) => d.getTime())) {
        if (!wants.has(at)) pending.push(at);
        wants.set(at, (wants.get(at) ?? 0) + 1);
      }
    }
    const total = grants.reduce((sum, g) => sum + g.count, 0);
    expect(total).toBe(2_000);
    expect(maxInWindow(grants, 20_000)).toBeLessThanOrEqual(200);
    // The budget is used: 2,000 writes take about 10 windows, not much more.
    const last = Math.max(...grants.map((g) => g.at));
    expect(last).toBeLessThan(10 * 20_000 * 1.12);
  });

  it('queues new work behind deferred work still waiting, instead of taking the room promised to it', () => {
    const full = decide(empty, 200, 0, settings);
    const deferred = decide(full.state, 0, 10, settings, 40);
    const promised = Math.max(...deferred.deferrals.map((d) => d.getTime()));
    // Room frees up before the deferred work is due; new work does not jump the line.
    const later = decide(deferred.state, 0, 22_000, settings, 30);
    expect(later.granted).toBe(0);
    expect(Math.min(...later.deferrals.map((d) => d.getTime()))).toBeGreaterThan(promised);
    // Deferred work coming back is granted.
    expect(decide(deferred.state, 20, 22_000, settings).granted).toBe(20);
    // Without a line, new work goes at once.
    expect(decide(empty, 0, 0, settings, 30).granted).toBe(30);
  });

  it('brings deferred work that found no room back as soon as room frees up, not behind the line', () => {
    const full = decide(empty, 200, 0, settings);
    const line = decide(full.state, 0, 10, settings, 400);
    const lineEnd = line.state.deferredUntil;
    const denied = decide(line.state, 30, 5_000, settings);
    expect(denied.granted).toBe(0);
    const times = denied.deferrals.map((d) => d.getTime());
    expect(times).toHaveLength(30);
    expect(Math.max(...times)).toBeLessThan(lineEnd);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(20_000);
    expect(denied.state.deferredUntil).toBe(lineEnd);
  });

  it('grants nothing while blocked by a 429 and defers to the end of the block', () => {
    const blocked = decide({ ...empty, blockedUntil: 5_000 }, 10, 1_000, settings);
    expect(blocked.granted).toBe(0);
    expect(Math.min(...blocked.deferrals.map((d) => d.getTime()))).toBeGreaterThanOrEqual(5_000);
    expect(decide(blocked.state, 10, 5_001, settings).granted).toBe(10);
  });

  it('paces deferred work a little under the limit, scaled with the window', () => {
    expect(deferralSpacingMs(settings)).toBeGreaterThan(20_000 / 200);
    // Within 5% of the limit for the real window; a short window keeps a floor of margin for the write's travel time.
    expect(deferralSpacingMs(settings)).toBeLessThan((20_000 / 200) * 1.05);
    const short = deferralSpacingMs({ limit: 200, windowMs: 2_000 });
    expect(short).toBeGreaterThan(2_000 / 200);
    expect(short).toBeLessThan(deferralSpacingMs(settings) / 5);
  });
});
