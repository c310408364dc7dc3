/**
 * The per-tenant Intune write budget, shared by every instance through one row of the `leases` table (RowKey
 * `intune-write-budget`) written with its ETag. Each call reads the row's state, asks the decision
 * (writeBudgetDecision.ts: how many writes go now, when the rest come back) and writes the state after. Work whose
 * time has come and whose room frees up within `waitMs` waits for it here (`take`), rather than going back to the
 * queue.
 */
import { z } from 'zod';
import { NO_CHANGE, readEntity, updateEntity, type TableStore } from '../storage/index.js';
import {
  decide,
  defaultIntuneWriteBudget,
  promisedAfter,
  resolveBudget,
  roomAt,
  roomOf,
  type BudgetDecision,
  type BudgetState,
  type Room,
  type WriteBudgetSettings,
} from './writeBudgetDecision.js';

export const intuneWriteBudgetName = 'intune-write-budget';

const budgetRowSchema = z.looseObject({
  /** JSON array of `[bucketStartMs, count]`. */
  buckets: z.string().optional(),
  /** No grants before this time (ms): Intune answered 429. */
  blockedUntil: z.number().optional(),
  /** The end of the deferred work handed out so far (ms). */
  deferredUntil: z.number().optional(),
  /** JSON array of `[atMs, count]`: room about to free up, promised to work that found none. */
  promised: z.string().optional(),
  /** The start of the line's last window (ms) and the writes handed a time in it. */
  lineAt: z.number().optional(),
  lineCount: z.number().optional(),
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

function stateOf(row: BudgetRow | undefined): BudgetState {
  return {
    buckets: parseBuckets(row?.buckets),
    blockedUntil: row?.blockedUntil ?? 0,
    deferredUntil: row?.deferredUntil ?? 0,
    promised: parseBuckets(row?.promised),
    ...(row?.lineAt !== undefined && row.lineCount !== undefined ? { lineAt: row.lineAt, lineCount: row.lineCount } : {}),
  };
}

function rowOf(current: BudgetRow | undefined, state: BudgetState, now: Date): BudgetRow {
  const { partitionKey: _pk, rowKey: _rk, etag: _etag, timestamp: _ts, ...rest } = (current ?? {}) as Record<string, unknown>;
  return {
    ...rest,
    buckets: JSON.stringify(state.buckets),
    blockedUntil: state.blockedUntil,
    deferredUntil: state.deferredUntil,
    promised: JSON.stringify(state.promised ?? []),
    ...(state.lineAt !== undefined && state.lineCount !== undefined ? { lineAt: state.lineAt, lineCount: state.lineCount } : {}),
    updatedAt: now.toISOString(),
  };
}

export interface WriteBudget {
  /**
   * Takes up to `want` + `fresh` writes for the tenant now (see `decide`); the rest get later times. When work whose
   * time has come (`want`) finds its room freeing up within `waitMs`, the call waits for it.
   */
  take(tenantId: string, want: number, fresh?: number): Promise<{ granted: number; deferrals: Date[] }>;
  /** Later times for writes that are not looked at now (nothing is granted), in the order of `want`, then `fresh`. */
  defer(tenantId: string, want: number, fresh?: number): Promise<Date[]>;
  /** The room for each kind of work (one read; nothing taken). */
  room(tenantId: string): Promise<Room>;
  /** Intune answered 429: no more grants for the tenant until `until`. */
  block(tenantId: string, until: Date): Promise<void>;
  readonly settings: WriteBudgetSettings;
}

export interface WriteBudgetDeps {
  readonly tables: TableStore;
  readonly clock: { now(): Date };
  /** Waits for room about to free up. Default a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
}

const timerSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The storage-backed budget. `name` is the lease row (one per API whose writes are counted). */
export function createWriteBudget(
  deps: WriteBudgetDeps,
  settings: WriteBudgetSettings = defaultIntuneWriteBudget,
  name: string = intuneWriteBudgetName,
): WriteBudget {
  const table = deps.tables.table('leases');
  const sleep = deps.sleep ?? timerSleep;
  const { waitMs } = resolveBudget(settings);

  /** One decision against the stored row; a decision that grants, promises and lines up nothing writes nothing. */
  async function once(tenantId: string, want: number, fresh: number, grant: boolean): Promise<BudgetDecision> {
    let decision: BudgetDecision | undefined;
    await updateEntity(
      table,
      tenantId,
      name,
      (current) => {
        const now = deps.clock.now();
        const state = stateOf(current);
        decision = decide(state, want, now.getTime(), settings, fresh, { grant });
        const unchanged =
          decision.granted === 0 &&
          decision.state.deferredUntil === state.deferredUntil &&
          decision.state.lineAt === state.lineAt &&
          decision.state.lineCount === state.lineCount &&
          promisedAfter(decision.state, now.getTime()) === promisedAfter(state, now.getTime());
        return unchanged ? NO_CHANGE : rowOf(current, decision.state, now);
      },
      { schema: budgetRowSchema, maxAttempts: 50, baseDelayMs: 5 },
    );
    if (!decision) throw new Error('the write budget was not evaluated');
    return decision;
  }

  return {
    settings,
    async take(tenantId, want, fresh = 0) {
      if (want + fresh <= 0) return { granted: 0, deferrals: [] };
      if (want > 0 && waitMs > 0) {
        // Work whose time has come and whose room frees up within `waitMs` waits for it here.
        const row = await readEntity(table, budgetRowSchema, tenantId, name);
        const now = deps.clock.now().getTime();
        const at = roomAt(stateOf(row), want, now, settings);
        if (at > now) await sleep(at - now);
      }
      const { granted, deferrals } = await once(tenantId, want, fresh, true);
      return { granted, deferrals };
    },
    async defer(tenantId, want, fresh = 0) {
      if (want + fresh <= 0) return [];
      return (await once(tenantId, want, fresh, false)).deferrals;
    },
    async room(tenantId) {
      const row = await readEntity(table, budgetRowSchema, tenantId, name);
      return roomOf(stateOf(row), deps.clock.now().getTime(), settings);
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

/**
 * The last moment the tenant's Intune write budget has handed to deferred work (ms; 0 when none): the end of the
 * line, room promised to work turned away, or the end of a 429 block. Every nudge the push path deferred comes
 * back by then, so reconcile leaves a tenant's pending devices alone until then (see reconcile.ts). One read.
 */
export async function deferredWorkEnd(tables: TableStore, tenantId: string, name: string = intuneWriteBudgetName): Promise<number> {
  const state = stateOf(await readEntity(tables.table('leases'), budgetRowSchema, tenantId, name));
  const promised = (state.promised ?? []).reduce((latest, [at]) => Math.max(latest, at), 0);
  return Math.max(state.deferredUntil, state.blockedUntil, promised);
}
