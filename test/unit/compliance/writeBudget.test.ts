import { describe, expect, it } from 'vitest';
import { decide, deferralSpacingMs, roomAt, roomOf, type BudgetState } from '../../../shared/compliance/writeBudgetDecision.js';

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

  it('hands a backlog out a window at a time: windows at the sustainable pace, the groups of a window together', () => {
    const full = decide(empty, 200, 0, settings);
    const backlog = decide(full.state, 0, 10, settings, 1_000);
    expect(backlog.granted).toBe(0);
    const times = backlog.deferrals.map((date) => date.getTime());
    expect(times).toHaveLength(1_000);
    const period = 200 * deferralSpacingMs(settings);
    for (let window = 0; window < 5; window += 1) {
      const own = times.slice(window * 200, window * 200 + 200);
      // Not before the first grants leave the window, then one window after the other.
      expect(Math.min(...own)).toBeGreaterThanOrEqual(20_900 + Math.floor(window * period));
      // The ten $batch groups of a window come back within a few seconds, not spread over the whole window: the
      // last window of a backlog goes as soon as its room frees up.
      expect(Math.max(...own) - Math.min(...own)).toBeLessThanOrEqual(4_000);
      expect(new Set(own).size).toBe(10);
    }
    // A caller that comes later continues the line where it stopped.
    const more = decide(backlog.state, 0, 20, settings, 20);
    expect(Math.min(...more.deferrals.map((d) => d.getTime()))).toBeGreaterThan(Math.max(...times));
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
    // Room frees up (20.9 s) before the deferred work's last group is due (21.3 s); new work does not jump the line.
    const later = decide(deferred.state, 0, 21_000, settings, 30);
    expect(later.granted).toBe(0);
    expect(Math.min(...later.deferrals.map((d) => d.getTime()))).toBeGreaterThan(promised);
    // Deferred work coming back is granted.
    expect(decide(deferred.state, 20, 21_000, settings).granted).toBe(20);
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
    // Back just before the block ends (by the wait, 500 ms), it waits for the end rather than for the queue.
    expect(blocked.deferrals.map((d) => d.getTime())).toEqual(Array.from({ length: 10 }, () => 4_500));
    expect(roomAt(blocked.state, 10, 4_500, settings)).toBe(5_000);
    expect(decide(blocked.state, 10, 4_999, settings).granted).toBe(0);
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

describe('work turned away by the budget', () => {
  it('is spread over the room as it frees up when several callers are turned away, not sent back at one moment', () => {
    let state = empty;
    // Four grants of 50, a second apart: the window is full until the first leaves it.
    for (let i = 0; i < 4; i += 1) state = decide(state, 50, i * 1_000, settings).state;
    const a = decide(state, 50, 5_000, settings);
    const b = decide(a.state, 50, 5_100, settings);
    expect(a.granted + b.granted).toBe(0);
    const timesA = a.deferrals.map((d) => d.getTime());
    const timesB = b.deferrals.map((d) => d.getTime());
    // A gets the room the first grant frees (at 20.9 s; handed back the wait, 500 ms, earlier), B the room the
    // second one frees, not the same moment.
    expect(timesA).toEqual(Array.from({ length: 50 }, () => 20_400));
    expect(timesB).toEqual(Array.from({ length: 50 }, () => 21_200));
    // A, back and waiting, is granted at its moment; new work lines up behind B's moment (21.7 s), at the next
    // room (22.9 s).
    expect(roomAt(b.state, 50, 20_400, settings)).toBe(20_900);
    const c = decide(b.state, 50, 20_900, settings, 10);
    expect(c.granted).toBe(50);
    expect(c.deferrals.map((d) => d.getTime())).toEqual(Array.from({ length: 10 }, () => 22_900));
  });

  it('waits for room that frees up within waitMs, and not for room further away', () => {
    let state = empty;
    state = decide(state, 100, 0, settings).state;
    state = decide(state, 100, 1_000, settings).state;
    // The first 100 leave the window at 20.9 s (bucket end, window, margin).
    expect(roomAt(state, 20, 20_600, settings)).toBe(20_900);
    expect(roomAt(state, 20, 20_000, settings)).toBe(20_000);
    expect(roomAt(state, 20, 21_000, settings)).toBe(21_000);
    expect(roomAt(state, 20, 20_600, { ...settings, waitMs: 0 })).toBe(20_600);
  });
});

/**
 * One consumer taking up to 100 messages at a time, as the queue delivers them, with the push's steps: a budget
 * read (work that finds no room goes back unread), the device reads, a wait for room about to free up, the grant,
 * then recording. Returns the grant times.
 */
function simulate(options: { total: number; readMs: number; latencyMs: number; settings: typeof settings }) {
  const { total, readMs, latencyMs } = options;
  const s = options.settings;
  let seed = 7;
  const random = (): number => {
    seed = (seed * 16_807) % 2_147_483_647;
    return seed / 2_147_483_647;
  };
  const queue: { at: number; returning: boolean }[] = [];
  // The re-grade sends its nudges in chunks of 500, a few seconds apart.
  for (let i = 0; i < total; i += 1) queue.push({ at: Math.floor(i / 500) * 5_000, returning: false });
  let state = empty;
  const grants: { at: number; count: number }[] = [];
  let now = 0;
  for (let rounds = 0; queue.length > 0 && rounds < 100_000; rounds += 1) {
    queue.sort((x, y) => x.at - y.at);
    now = Math.max(now, queue[0]?.at ?? now) + random() * latencyMs;
    const batch = queue.filter((m) => m.at <= now).slice(0, 100);
    for (const m of batch) queue.splice(queue.indexOf(m), 1);
    const returning = batch.filter((m) => m.returning).length;
    const fresh = batch.length - returning;
    const room = roomOf(state, now, s);
    let decision;
    if ((returning > 0 ? room.returning : room.fresh) === 0) {
      decision = decide(state, returning, now, s, fresh, { grant: false });
    } else {
      now += batch.length * readMs;
      if (returning > 0) now = Math.max(now, roomAt(state, returning, now, s));
      decision = decide(state, returning, now, s, fresh);
      if (decision.granted > 0) grants.push({ at: now, count: decision.granted });
      now += decision.granted * readMs;
    }
    state = decision.state;
    for (const at of decision.deferrals) queue.push({ at: at.getTime(), returning: true });
  }
  return grants;
}

describe('sustained use of the budget', () => {
  it('uses at least 90% of the limit on a long backlog even when deferred work comes back late, and never more', () => {
    // 2,000 writes; deferred work is picked up 0 to 300 ms late and reading a device costs 10 ms.
    const grants = simulate({ total: 2_000, readMs: 10, latencyMs: 300, settings });
    expect(grants.reduce((sum, g) => sum + g.count, 0)).toBe(2_000);
    expect(maxInWindow(grants, 20_000)).toBeLessThanOrEqual(200);
    // Writes per window, from the first grant to the last (full windows), as the bench counts them.
    const first = Math.min(...grants.map((g) => g.at));
    const last = Math.max(...grants.map((g) => g.at));
    const perWindow: number[] = [];
    for (let from = first; from + 20_000 <= last; from += 20_000) {
      perWindow.push(grants.filter((g) => g.at >= from && g.at < from + 20_000).reduce((sum, g) => sum + g.count, 0));
    }
    expect(perWindow.length).toBeGreaterThanOrEqual(9);
    expect(perWindow.reduce((sum, n) => sum + n, 0) / perWindow.length).toBeGreaterThanOrEqual(0.9 * 200);
  });
});
