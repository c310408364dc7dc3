/**
 * The Intune write budget's decision, pure: Intune allows about 200 device writes per 20 s per app per tenant, and
 * this says how many writes go now and when the rest come back, from the budget's state (kept in storage by
 * writeBudget.ts).
 *
 * The state keeps a sliding window of grants in small buckets. A grant is counted until its bucket's end plus the
 * window plus a margin, so writes that reach Intune a little after they were granted still fall inside the window
 * the service counts. Work beyond the budget is not retried in a loop: it is given a time in a later window
 * (`deferrals`), a window's worth at a time at the sustainable pace (a window's `$batch` groups a bucket apart), so
 * deferred work from every instance lines up behind the earlier one instead of coming back all at once, and the last
 * window of a backlog goes as its room frees up instead of being spread over the window. A 429 from Intune blocks
 * the budget until its Retry-After.
 *
 * Deferred work is paced for the moment its room frees up, but it is granted only once it is back and its devices
 * are read, a little later, and a grant is counted from then; so the work one window behind it comes back a little
 * before its room is free. Sent back to the queue, that work would lose the queue's delivery and another read of its
 * devices on every window, and the loss grows: work turned away by several callers was sent back to the same
 * moment, where most of it was turned away again. So:
 * - work whose time has come and whose room frees up within `waitMs` waits for it (`take` in writeBudget.ts);
 * - work turned away is promised the moments room frees up one after the other (`promised`), each moment once, and
 *   new work queues behind it as it does behind the line.
 */
export interface WriteBudgetSettings {
  /** Writes allowed per window. Default 200. */
  readonly limit: number;
  /** The window, in ms. Default 20 000. */
  readonly windowMs: number;
  /** Extra time a grant is counted for, covering the delay between a grant and the write reaching Intune. Default a fortieth of the window, at least 200 ms. */
  readonly marginMs?: number;
  /** Bucket size of the sliding window. Default a fiftieth of the window. */
  readonly bucketMs?: number;
  /** Deferred writes are handed out in groups of this many (one Graph `$batch`). Default 20. */
  readonly groupSize?: number;
  /**
   * Work whose time has come waits up to this long for room about to free up, instead of going back to the queue.
   * Default a fortieth of the window, at least 200 ms.
   */
  readonly waitMs?: number;
}

export const defaultIntuneWriteBudget: WriteBudgetSettings = Object.freeze({ limit: 200, windowMs: 20_000 });

interface Resolved {
  limit: number;
  windowMs: number;
  marginMs: number;
  bucketMs: number;
  groupSize: number;
  waitMs: number;
}

export function resolveBudget(settings: WriteBudgetSettings): Resolved {
  const bucketMs = Math.max(1, Math.round(settings.bucketMs ?? settings.windowMs / 50));
  return {
    limit: Math.max(1, Math.floor(settings.limit)),
    windowMs: settings.windowMs,
    marginMs: Math.max(0, settings.marginMs ?? Math.max(200, settings.windowMs / 40)),
    bucketMs,
    groupSize: Math.max(1, settings.groupSize ?? 20),
    waitMs: Math.max(0, settings.waitMs ?? Math.max(200, settings.windowMs / 40)),
  };
}

/** Time between two deferred writes: slightly slower than the limit, so deferred work always finds room. */
export function deferralSpacingMs(settings: WriteBudgetSettings): number {
  const r = resolveBudget(settings);
  return (r.windowMs + r.marginMs + r.bucketMs) / r.limit;
}

export interface BudgetState {
  buckets: [number, number][];
  blockedUntil: number;
  deferredUntil: number;
  /** `[atMs, count]`: times handed to work whose time had come but found no room (see `decide`). */
  promised?: [number, number][];
  /** The start of the line's last window (ms) and the writes handed a time in it (see `decide`). */
  lineAt?: number;
  lineCount?: number;
}

/** Writes that would be granted now. */
export function roomNow(state: BudgetState, nowMs: number, settings: WriteBudgetSettings): number {
  if (state.blockedUntil > nowMs) return 0;
  const r = resolveBudget(settings);
  const countedFor = r.bucketMs + r.windowMs + r.marginMs;
  const used = state.buckets.filter(([start]) => start + countedFor > nowMs).reduce((sum, [, count]) => sum + count, 0);
  return Math.max(0, r.limit - used);
}

export interface Room {
  /** Writes that work whose time has come would get now or after waiting at most `waitMs`. */
  returning: number;
  /** Writes that new work would get now: none while deferred work is waiting. */
  fresh: number;
}

export function roomOf(state: BudgetState, nowMs: number, settings: WriteBudgetSettings): Room {
  const { waitMs } = resolveBudget(settings);
  return {
    returning: roomNow(state, nowMs + waitMs, settings),
    fresh: deferredWorkWaits(state, nowMs) ? 0 : roomNow(state, nowMs, settings),
  };
}

/** Deferred work still has a time ahead: in the line, or promised room about to free up. */
function deferredWorkWaits(state: BudgetState, nowMs: number): boolean {
  return state.deferredUntil > nowMs || (state.promised ?? []).some(([at]) => at > nowMs);
}

/**
 * When to ask for `want` writes for work whose time has come: now if there is room for them, else the moment within
 * `waitMs` at which the most of them fit (as grants leave the window, or a block ends); now when nothing frees up.
 */
export function roomAt(state: BudgetState, want: number, nowMs: number, settings: WriteBudgetSettings): number {
  const r = resolveBudget(settings);
  const countedFor = r.bucketMs + r.windowMs + r.marginMs;
  const until = nowMs + r.waitMs;
  if (state.blockedUntil > until) return nowMs;
  const from = Math.max(nowMs, state.blockedUntil);
  let best = from;
  let bestRoom = roomNow(state, from, settings);
  for (const [start] of state.buckets) {
    if (bestRoom >= want) break;
    const at = start + countedFor;
    if (at <= from) continue;
    if (at > until) break;
    const room = roomNow(state, at, settings);
    if (room > bestRoom) {
      best = at;
      bestRoom = room;
    }
  }
  return bestRoom > 0 ? best : nowMs;
}

/** Writes promised to work turned away that are still ahead of `nowMs`. */
export function promisedAfter(state: BudgetState, nowMs: number): number {
  return (state.promised ?? []).filter(([at]) => at > nowMs).reduce((sum, [, count]) => sum + count, 0);
}

export interface BudgetDecision {
  /** Writes that may go now. */
  granted: number;
  /** For each write not granted, the time to try it again (in the order of `want`, then `fresh`). */
  deferrals: Date[];
  state: BudgetState;
}

/**
 * The pure decision: how many writes go now, when the rest come back, and the state after. `want` writes are work
 * whose time has come (first tries while no deferred work is waiting, or deferred work coming back); `fresh` writes
 * are new work, which queues behind deferred work still waiting rather than taking the room that work was promised.
 * Grants go to `want` first; deferrals are in the same order (`want`'s, then `fresh`'s). With `grant: false`
 * nothing is granted: every write gets a time (work that cannot be looked at now).
 */
export function decide(
  state: BudgetState,
  want: number,
  nowMs: number,
  settings: WriteBudgetSettings,
  fresh = 0,
  options: { grant?: boolean } = {},
): BudgetDecision {
  const r = resolveBudget(settings);
  const countedFor = r.bucketMs + r.windowMs + r.marginMs;
  const buckets = state.buckets.filter(([start]) => start + countedFor > nowMs).map(([start, count]): [number, number] => [start, count]);
  const used = buckets.reduce((sum, [, count]) => sum + count, 0);
  const blocked = state.blockedUntil > nowMs;
  const available = blocked || options.grant === false ? 0 : Math.max(0, r.limit - used);
  const grantedNow = Math.min(Math.max(0, want), available);
  const lineWaiting = deferredWorkWaits(state, nowMs);
  const grantedFresh = lineWaiting ? 0 : Math.min(Math.max(0, fresh), available - grantedNow);
  const granted = grantedNow + grantedFresh;
  if (granted > 0) {
    const bucketStart = Math.floor(nowMs / r.bucketMs) * r.bucketMs;
    const last = buckets.at(-1);
    if (last && last[0] === bucketStart) last[1] += granted;
    else buckets.push([bucketStart, granted]);
  }
  const deferrals: Date[] = [];
  let deferredUntil = state.deferredUntil;
  // Work whose time had come but found no room comes back as soon as room frees up (when a block ends, or as each
  // grant leaves the window), not behind the line, so its slot is not lost. Each such moment is promised once:
  // work turned away earlier and still waiting keeps the earlier ones, so work turned away by several callers
  // comes back spread out instead of all at the same moment (where most of it would be turned away again). It is
  // handed a time `waitMs` before its moment: back and read by then, it waits for the moment (`take`) instead of
  // reaching it only after the queue's delivery and the read of its devices.
  const promised = (state.promised ?? []).filter(([at]) => at > nowMs).map(([at, count]): [number, number] => [at, count]);
  let skip = promised.reduce((sum, [, count]) => sum + count, 0);
  const from = blocked ? state.blockedUntil : nowMs + r.bucketMs;
  const spare = Math.max(0, r.limit - used - granted);
  const slots: [number, number][] = [[from, spare], ...buckets.map(([start, count]): [number, number] => [Math.max(from, start + countedFor), count])];
  let returningLeft = Math.max(0, want) - grantedNow;
  let nextFree: number | undefined;
  for (const [at, count] of slots) {
    let free = count;
    const skipped = Math.min(skip, free);
    skip -= skipped;
    free -= skipped;
    const taken = Math.min(free, returningLeft);
    if (taken > 0) {
      for (let unit = 0; unit < taken; unit += 1) deferrals.push(new Date(Math.max(nowMs + r.bucketMs, at - r.waitMs)));
      const last = promised.at(-1);
      if (last && last[0] === at) last[1] += taken;
      else promised.push([at, taken]);
      returningLeft -= taken;
    }
    if (free > taken) {
      nextFree = at;
      break;
    }
  }
  // New work (and work beyond the room of one window) lines up behind the deferred work, a window's worth at a
  // time: the line's windows follow each other at the sustainable pace (`limit` writes every `limit` ×
  // `deferralSpacingMs`), and within a window its $batch groups come back a bucket apart rather than spread over the
  // whole window. Spread evenly, the last window of a backlog took a whole window to go out although its room was
  // free at its start, and work a little late left room unused that no one was waiting for; back together, a
  // window's work is granted as its room frees up, and work back a little early waits for it or is promised the
  // moment it frees (above).
  const rest = returningLeft + Math.max(0, fresh) - grantedFresh;
  let lineAt = state.lineAt;
  let lineCount = state.lineCount;
  if (rest > 0) {
    const lastSlot = slots.at(-1)?.[0] ?? from;
    const freeAt = Math.max(nowMs + r.bucketMs, nextFree ?? lastSlot);
    const period = deferralSpacingMs(settings) * r.limit;
    let windowAt: number;
    let count: number;
    if (state.deferredUntil > nowMs && lineAt !== undefined && lineCount !== undefined) {
      windowAt = lineAt;
      count = lineCount;
    } else {
      windowAt = Math.max(freeAt, state.deferredUntil);
      count = 0;
    }
    let at = windowAt;
    for (let i = 0; i < rest; i += 1) {
      if (count >= r.limit) {
        windowAt += period;
        count = 0;
      }
      at = Math.max(windowAt + Math.floor(count / r.groupSize) * r.bucketMs, nowMs + r.bucketMs, state.blockedUntil);
      deferrals.push(new Date(Math.ceil(at)));
      count += 1;
    }
    lineAt = windowAt;
    lineCount = count;
    deferredUntil = Math.max(state.deferredUntil, Math.ceil(at) + r.bucketMs);
  }
  return {
    granted,
    deferrals,
    state: {
      buckets,
      blockedUntil: state.blockedUntil,
      deferredUntil,
      promised,
      ...(lineAt !== undefined ? { lineAt } : {}),
      ...(lineCount !== undefined ? { lineCount } : {}),
    },
  };
}
