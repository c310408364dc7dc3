/**
 * Google's attestation status list (revoked and suspended attestation keys), fetched from
 * ANDROID_ATTESTATION_STATUS_URL and kept 24 h. A refresh that fails keeps the last good copy. Until a first copy is
 * obtained no Android attestation verifies (the verdict says why): a chain whose revocation was not checked is not
 * proven genuine. Failed fetches are retried at most once a minute, and concurrent verifications share one fetch.
 */
import type { Logger } from '../base/logger.js';
import { toError } from '../base/errors.js';

export interface StatusEntry {
  status: string;
  reason?: string;
}

export interface StatusList {
  /** The entry for a serial (lower-case hex), or undefined; throws when no copy was ever obtained. */
  lookup(serial: string, now: Date): Promise<StatusEntry | undefined>;
}

const FRESH_MS = 24 * 3600 * 1000;
const RETRY_MS = 60 * 1000;
/** Google's list is a few hundred KiB; anything far larger is not it. */
const MAX_BYTES = 16 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 10_000;

export class StatusListUnavailable extends Error {
  constructor() {
    super('the attestation status list could not be obtained');
    this.name = 'StatusListUnavailable';
  }
}

function parseEntries(body: unknown): Map<string, StatusEntry> {
  if (typeof body !== 'object' || body === null) throw new Error('the status list is not a JSON object');
  const entries = (body as { entries?: unknown }).entries;
  if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) throw new Error('the status list has no entries object');
  const map = new Map<string, StatusEntry>();
  for (const [serial, value] of Object.entries(entries as Record<string, unknown>)) {
    const entry = value as { status?: unknown; reason?: unknown } | null;
    if (typeof entry?.status !== 'string') continue;
    map.set(serial.toLowerCase().replace(/^0+(?=.)/, ''), {
      status: entry.status,
      ...(typeof entry.reason === 'string' ? { reason: entry.reason } : {}),
    });
  }
  return map;
}

export function createStatusList(url: string, options: { fetch?: typeof fetch; log?: Logger } = {}): StatusList {
  const doFetch = options.fetch ?? fetch;
  let entries: Map<string, StatusEntry> | undefined;
  let fetchedAt = 0;
  let lastAttemptAt = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<void> | undefined;

  async function refresh(now: number): Promise<void> {
    lastAttemptAt = now;
    try {
      const response = await doFetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/json' } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const text = await response.text();
      if (text.length > MAX_BYTES) throw new Error('the status list is too large');
      entries = parseEntries(JSON.parse(text));
      fetchedAt = now;
    } catch (error) {
      options.log?.warn(
        `attestation status list refresh failed (${toError(error).message}); ${entries ? 'keeping the last good copy' : 'no copy yet'}`,
      );
    }
  }

  return {
    async lookup(serial, now) {
      const time = now.getTime();
      const stale = !entries || time - fetchedAt >= FRESH_MS;
      if (stale && time - lastAttemptAt >= RETRY_MS) {
        inFlight ??= refresh(time).finally(() => {
          inFlight = undefined;
        });
      }
      if (inFlight) await inFlight;
      if (!entries) throw new StatusListUnavailable();
      return entries.get(serial);
    },
  };
}
