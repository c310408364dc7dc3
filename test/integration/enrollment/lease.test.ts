import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { acquireLease, releaseLease, renewLease } from '../../../shared/enrollment/lease.js';
import type { TableStore } from '../../../shared/storage/index.js';
import { createTestTableStore } from '../../support/tables.js';

let tables: TableStore;
beforeAll(async () => {
  tables = await createTestTableStore();
});

const minute = 60_000;
const at = (iso: string) => new Date(iso);

describe('enrollment sync lease', () => {
  it('lets one of two simultaneous holders in', async () => {
    const tenantId = randomUUID();
    const now = at('2026-03-01T10:00:00Z');
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => acquireLease(tables, tenantId, `run-${i}`, now, 10 * minute)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('is refused while held, taken after release, and taken over once expired', async () => {
    const tenantId = randomUUID();
    const now = at('2026-03-01T10:00:00Z');
    expect(await acquireLease(tables, tenantId, 'a', now, 10 * minute)).toBe(true);
    expect(await acquireLease(tables, tenantId, 'b', at('2026-03-01T10:05:00Z'), 10 * minute)).toBe(false);

    await releaseLease(tables, tenantId, 'a', at('2026-03-01T10:06:00Z'));
    expect(await acquireLease(tables, tenantId, 'b', at('2026-03-01T10:06:00Z'), 10 * minute)).toBe(true);

    // b never releases; after expiry c takes over and b can no longer renew.
    expect(await acquireLease(tables, tenantId, 'c', at('2026-03-01T10:17:00Z'), 10 * minute)).toBe(true);
    expect(await renewLease(tables, tenantId, 'b', at('2026-03-01T10:18:00Z'), 10 * minute)).toBe(false);
    expect(await renewLease(tables, tenantId, 'c', at('2026-03-01T10:18:00Z'), 10 * minute)).toBe(true);
    // A stale holder's release does not free the lease.
    await releaseLease(tables, tenantId, 'b', at('2026-03-01T10:19:00Z'));
    expect(await acquireLease(tables, tenantId, 'd', at('2026-03-01T10:19:00Z'), 10 * minute)).toBe(false);
  });
});
