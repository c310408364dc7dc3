/**
 * Per-tenant budgets for the console's expensive reads, kept per process: a gate that lets one such read of a
 * tenant run at a time (another one meanwhile gets 429 with `Retry-After`), and a short-lived memo so repeated reads
 * reuse a recent answer instead of asking Graph again. Both are bounded: the gate holds only reads in flight, the
 * memo at most `maxEntries` answers (least recently used dropped first).
 */
import { LRUCache } from 'lru-cache';
import type { Clock } from '../base/clock.js';
import { HttpError } from '../http/problem.js';

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
