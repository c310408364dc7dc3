/**
 * The per-tenant Intune write budget (Intune allows about 200 device writes per 20 s per app per tenant), shared by
 * every instance through one row of the `leases` table (RowKey `intune-write-budget`) written with its ETag.
 *
 * The row keeps a sliding window of grants in small buckets. A grant is counted until its bucket's end plus the
 * window plus a margin, so writes that reach Intune a little after they were granted still fall inside the window
 * the service counts. Work beyond the budget is not retried in a loop: it is given a time in a later window
 * (`deferrals`), handed out in groups of one `$batch` at the sustainable pace, so deferred work from every
 * instance lines up behind the earlier one instead of coming back all at once. A 429 from Intune blocks the budget
 * until its Retry-After.
 */
import { z } from 'zod';
import { NO_CHANGE, readEntity, updateEntity, type TableStore } from '../storage/index.js';

export const intuneWriteBudgetName = 'intune-write-budget';

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
}

export const defaultIntuneWriteBudget: WriteBudgetSettings = Object.freeze({ limit: 200, windowMs: 20_000 });

interface Resolved {
  limit: number;
  windowMs: number;
  marginMs: number;
  bucketMs: number;
  groupSize: number;
}

export function resolveBudget(settings: WriteBudgetSettings): Resolved {
  const bucketMs = Math.max(1, Math.round(settings.bucketMs ?? settings.windowMs / 50));
  return {
    limit: Math.max(1, Math.floor(settings.limit)),
    windowMs: settings.windowMs,
    marginMs: Math.max(0, settings.marginMs ?? Math.max(200, settings.windowMs / 40)),
    bucketMs,
    groupSize: Math.max(1, settings.groupSize ?? 20),
  };
}

/** Time between two deferred writes: slightly slower than the limit, so deferred work always finds room. */
export function deferralSpacingMs(settings: WriteBudgetSettings): number {
  const r = resolveBudget(settings);
  return (r.windowMs + r.marginMs + r.bucketMs) / r.limit;
}

const budgetRowSchema = z.looseObject({
  /** JSON array of `[bucketStartMs, count]`. */
  buckets: z.string().optional(),
  /** No grants before this time (ms): Intune answered 429. */
  blockedUntil: z.number().optional(),
  /** The end of the deferred work handed out so far (ms). */
  deferredUntil: z.number().optional(),
  updatedAt: z.string().optional(),
});
type BudgetRow = z.infer<typeof budgetRowSchema>;

const bucketsSchema = z.array(z.tuple([z.number(), z.number()]));

function parseBuckets(text: string | undefined): [number, number][] {
  if (!text) return [];
  try {
    const parsed = bucketsSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}

export interface BudgetState {
  buckets: [number, number][];
  blockedUntil: number;
  deferredUntil: number;
}

/** Writes that would be granted now. */
export function roomNow(state: BudgetState, nowMs: number, settings: WriteBudgetSettings): number {
  if (state.blockedUntil > nowMs) return 0;
  const r = resolveBudget(settings);
  const countedFor = r.bucketMs + r.windowMs + r.marginMs;
  const used = state.buckets.filter(([start]) => start + countedFor > nowMs).reduce((sum, [, count]) => sum + count, 0);
  return Math.max(0, r.limit - used);
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
 * Grants go to `want` first; deferrals are in the same order (`want`'s, then `fresh`'s).
 */
export function decide(state: BudgetState, want: number, nowMs: number, settings: WriteBudgetSettings, fresh = 0): BudgetDecision {
  const r = resolveBudget(settings);
  const countedFor = r.bucketMs + r.windowMs + r.marginMs;
  const buckets = state.buckets.filter(([start]) => start + countedFor > nowMs);
  const used = buckets.reduce((sum, [, count]) => sum + count, 0);
  const blocked = state.blockedUntil > nowMs;
  const available = blocked ? 0 : Math.max(0, r.limit - used);
  const grantedNow = Math.min(Math.max(0, want), available);
  const lineWaiting = state.deferredUntil > nowMs;
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
  // Work whose time had come but found no room comes back as soon as room frees up: as each grant leaves the
  // window (or when a block ends), not behind the line, so its slot is not lost.
  let returningLeft = Math.max(0, want) - grantedNow;
  if (returningLeft > 0) {
    if (blocked) {
      for (; returningLeft > 0; returningLeft -= 1) deferrals.push(new Date(state.blockedUntil));
    } else {
      for (const [start, count] of buckets) {
        for (let unit = 0; unit < count && returningLeft > 0; unit += 1, returningLeft -= 1) {
          deferrals.push(new Date(Math.max(nowMs + r.bucketMs, start + countedFor)));
        }
        if (returningLeft === 0) break;
      }
    }
  }
  // New work (and anything beyond one window of waiting) lines up behind the deferred work, a $batch group at a time.
  const rest = returningLeft + Math.max(0, fresh) - grantedFresh;
  if (rest > 0) {
    let freeAt = nowMs + r.bucketMs;
    if (blocked) freeAt = Math.max(freeAt, state.blockedUntil);
    const oldest = buckets[0];
    if (!blocked && oldest) freeAt = Math.max(freeAt, oldest[0] + countedFor);
    const spacing = deferralSpacingMs(settings);
    const start = Math.max(freeAt, state.deferredUntil);
    const groups = Math.ceil(rest / r.groupSize);
    for (let i = 0; i < rest; i += 1) {
      deferrals.push(new Date(Math.ceil(start + Math.floor(i / r.groupSize) * r.groupSize * spacing)));
    }
    deferredUntil = start + groups * r.groupSize * spacing;
  }
  return { granted, deferrals, state: { buckets, blockedUntil: state.blockedUntil, deferredUntil } };
}

function stateOf(row: BudgetRow | undefined): BudgetState {
  return {
    buckets: parseBuckets(row?.buckets),
    blockedUntil: row?.blockedUntil ?? 0,
    deferredUntil: row?.deferredUntil ?? 0,
  };
}

function rowOf(current: BudgetRow | undefined, state: BudgetState, now: Date): BudgetRow {
  const { partitionKey: _pk, rowKey: _rk, etag: _etag, timestamp: _ts, ...rest } = (current ?? {}) as Record<string, unknown>;
  return {
    ...rest,
    buckets: JSON.stringify(state.buckets),
    blockedUntil: state.blockedUntil,
    deferredUntil: state.deferredUntil,
    updatedAt: now.toISOString(),
  };
}

export interface WriteBudget {
  /** Takes up to `want` writes for the tenant now; the rest get later times. */
  take(tenantId: string, want: number, fresh?: number): Promise<{ granted: number; deferrals: Date[] }>;
  /** How many writes would be granted now (one read; nothing taken); for new work, 0 while deferred work waits. */
  room(tenantId: string, fresh?: boolean): Promise<number>;
  /** Intune answered 429: no more grants for the tenant until `until`. */
  block(tenantId: string, until: Date): Promise<void>;
  readonly settings: WriteBudgetSettings;
}

/** The storage-backed budget. `name` is the lease row (one per API whose writes are counted). */
export function createWriteBudget(
  deps: { tables: TableStore; clock: { now(): Date } },
  settings: WriteBudgetSettings = defaultIntuneWriteBudget,
  name: string = intuneWriteBudgetName,
): WriteBudget {
  const table = deps.tables.table('leases');
  return {
    settings,
    async take(tenantId, want, fresh = 0) {
      if (want + fresh <= 0) return { granted: 0, deferrals: [] };
      let decision: BudgetDecision | undefined;
      await updateEntity(
        table,
        tenantId,
        name,
        (current) => {
          const now = deps.clock.now();
          decision = decide(stateOf(current), want, now.getTime(), settings, fresh);
          return rowOf(current, decision.state, now);
        },
        { schema: budgetRowSchema, maxAttempts: 50, baseDelayMs: 5 },
      );
      if (!decision) throw new Error('the write budget was not evaluated');
      return { granted: decision.granted, deferrals: decision.deferrals };
    },
    async room(tenantId, fresh = false) {
      const row = await readEntity(table, budgetRowSchema, tenantId, name);
      const state = stateOf(row);
      const now = deps.clock.now().getTime();
      if (fresh && state.deferredUntil > now) return 0;
      return roomNow(state, now, settings);
    },
    async block(tenantId, until) {
      await updateEntity(
        table,
        tenantId,
        name,
        (current) => {
          const state = stateOf(current);
          if (state.blockedUntil >= until.getTime()) return NO_CHANGE;
          return rowOf(current, { ...state, blockedUntil: until.getTime() }, deps.clock.now());
        },
        { schema: budgetRowSchema, maxAttempts: 50, baseDelayMs: 5 },
      );
    },
  };
}
