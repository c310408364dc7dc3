/**
 * Per-tenant budgets for the console's expensive reads: a rate kept in storage, so it holds across every instance
 * (beyond it, 429 with `Retry-After`); per process, a gate that lets one such read of a tenant run at a time (another
 * one meanwhile gets 429 with `Retry-After`), and a short-lived memo so repeated reads reuse a recent answer instead of
 * asking Graph again. The gate holds only reads in flight, the memo at most `maxEntries` answers (least recently used
 * dropped first), the rate one row per tenant and read (`leases`, RowKey `console-rate|{name}`).
 */
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import type { Clock } from '../base/clock.js';
import { HttpError } from '../http/problem.js';
import type { CorePorts } from '../ports.js';
import { NO_CHANGE, updateEntity } from '../storage/index.js';

export interface TenantGate {
  /** Runs `work` unless one is already running for the tenant: then 429 with `Retry-After`. */
  run<T>(tenantId: string, work: () => Promise<T>): Promise<T>;
}

export function createTenantGate(what: string, retryAfterSeconds = 5): TenantGate {
  const running = new Set<string>();
  return {
    async run(tenantId, work) {
      if (running.has(tenantId)) {
        throw new HttpError(429, `A ${what} for your organization is already running; retry when it has finished.`, {
          headers: { 'retry-after': String(retryAfterSeconds) },
        });
      }
      running.add(tenantId);
      try {
        return await work();
      } finally {
        running.delete(tenantId);
      }
    },
  };
}

export interface Memo<T> {
  /** A recent answer for `key`, or `load`'s (shared by concurrent callers); answers `keep` refuses are not kept. */
  get(key: string, load: () => Promise<T>, keep?: (value: T) => boolean): Promise<T>;
}

export function createMemo<T>(clock: Clock, maxAgeMs: number, maxEntries = 10_000): Memo<T> {
  const entries = new LRUCache<string, { at: number; value: Promise<T> }>({ max: maxEntries });
  return {
    get(key, load, keep = () => true) {
      const now = clock.now().getTime();
      const hit = entries.get(key);
      if (hit && now - hit.at >= 0 && now - hit.at < maxAgeMs) return hit.value;
      const value = load();
      const entry = { at: now, value };
      entries.set(key, entry);
      value.then(
        (settled) => {
          if (!keep(settled) && entries.get(key) === entry) entries.delete(key);
        },
        () => {
          if (entries.get(key) === entry) entries.delete(key);
        },
      );
      return value;
    },
  };
}

export interface TenantRate {
  /** Counts one read of the tenant, or refuses it with 429 and `Retry-After` when the tenant's window is full. */
  take(tenantId: string): Promise<void>;
}

const rateRowSchema = z.object({ windowStartMs: z.number().int(), count: z.number().int() });

/**
 * At most `limit` reads per tenant in each window of `windowMs`, counted in one `leases` row per tenant with an ETag
 * write, so instances share the count (a lost race is read again and counted once).
 */
export function createStoredTenantRate(
  deps: Pick<CorePorts, 'tables' | 'clock'>,
  options: { name: string; what: string; limit: number; windowMs: number },
): TenantRate {
  return {
    async take(tenantId) {
      let retryAfterMs = 0;
      await updateEntity(
        deps.tables.table('leases'),
        tenantId,
        `console-rate|${options.name}`,
        (row) => {
          const now = deps.clock.now().getTime();
          retryAfterMs = 0;
          if (!row || now - row.windowStartMs >= options.windowMs || now < row.windowStartMs) return { windowStartMs: now, count: 1 };
          if (row.count >= options.limit) {
            retryAfterMs = row.windowStartMs + options.windowMs - now;
            return NO_CHANGE;
          }
          return { windowStartMs: row.windowStartMs, count: row.count + 1 };
        },
        { schema: rateRowSchema },
      );
      if (retryAfterMs > 0) {
        throw new HttpError(429, `Your organization has run ${options.limit} ${options.what}s in the last ${Math.round(options.windowMs / 1000)} seconds; retry later.`, {
          headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
        });
      }
    },
  };
}

/** Previews of a classification or app-rule change: at most this many per tenant per minute, across instances. */
export const previewRate = { limit: 10, windowMs: 60_000 } as const;

