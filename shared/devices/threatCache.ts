/**
 * Fast path: the threat state a report's batch leaves behind (rows and the `s|` ETag) is kept per instance, so the
 * next report of the device needs no read; a stale copy (another instance wrote) fails its ETag and is reloaded.
 */
import type { DeviceThreatState } from './threatRows.js';

/** The per-instance cache of device threat states (bounded; least recently used dropped first). */
export interface ThreatStateCache {
  get(key: string): DeviceThreatState | undefined;
  set(key: string, state: DeviceThreatState): void;
  delete(key: string): void;
}

export function createThreatStateCache(maxEntries = 10_000): ThreatStateCache {
  const entries = new Map<string, DeviceThreatState>();
  return {
    get(key) {
      const state = entries.get(key);
      if (state) {
        entries.delete(key);
        entries.set(key, state);
      }
      return state;
    },
    set(key, state) {
      entries.delete(key);
      entries.set(key, state);
      if (entries.size > maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
    },
    delete(key) {
      entries.delete(key);
    },
  };
}

/** A device's key in this process's caches and locks. */
export const threatStateKey = (tenantId: string, deviceId: string): string => `${tenantId}|${deviceId}`;
