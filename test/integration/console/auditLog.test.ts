import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/base/clock.js';
import { audited, listAuditLog } from '../../../shared/audit/auditLog.js';
import { HttpError } from '../../../shared/http/problem.js';
import type { TableStore } from '../../../shared/storage/index.js';
import { createTestTableStore } from '../../support/tables.js';
import { quietLog } from '../auth/harness.js';

let tables: TableStore;
const clock = new ManualClock('2026-03-01T10:00:00.000Z');
const actor = { tenantId: '0f0f0f0f-0000-4000-8000-000000000001', userId: 'u-1', name: 'Ada Admin' };

beforeAll(async () => {
  tables = await createTestTableStore();
});

const services = () => ({ tables, clock, log: quietLog });

describe('the audit log', () => {
  it('writes the entry before the change runs, then records before and after', async () => {
    let seenDuringChange: string[] = [];
    const result = await audited(services(), actor, { action: 'connector.update', target: 'connector', request: { a: 2 } }, async () => {
      seenDuringChange = (await listAuditLog(tables, actor.tenantId, { limit: 10 })).items.map((entry) => entry.outcome);
      return { before: { a: 1 }, after: { a: 2 } };
    });
    expect(result).toEqual({ before: { a: 1 }, after: { a: 2 } });
    expect(seenDuringChange).toEqual(['pending']);
    const [entry] = (await listAuditLog(tables, actor.tenantId, { limit: 10 })).items;
    expect(entry).toMatchObject({
      at: '2026-03-01T10:00:00.000Z',
      actor: { id: 'u-1', name: 'Ada Admin' },
      action: 'connector.update',
      target: 'connector',
      request: { a: 2 },
      before: { a: 1 },
      after: { a: 2 },
      outcome: 'applied',
    });
  });

  it('records a refused change as failed and rethrows its error', async () => {
    clock.advance(1000);
    const refusal = new HttpError(409, 'already there');
    await expect(
      audited(services(), actor, { action: 'enrollmentGroup.add', target: 'G' }, () => Promise.reject(refusal)),
    ).rejects.toBe(refusal);
    const [entry] = (await listAuditLog(tables, actor.tenantId, { limit: 1 })).items;
    expect(entry).toMatchObject({ action: 'enrollmentGroup.add', outcome: 'failed', failure: '409: already there' });
    expect(entry?.after).toBeUndefined();
  });

  it('does not run the change when the entry cannot be written', async () => {
    let ran = false;
    // A tenant id that is not a valid PartitionKey makes the write-ahead insert fail.
    await expect(
      audited(services(), { ...actor, tenantId: 'bad/key' }, { action: 'x', target: 'y' }, () => {
        ran = true;
        return Promise.resolve({ before: null, after: null });
      }),
    ).rejects.toBeTruthy();
    expect(ran).toBe(false);
  });

  it('lists newest first, page by page, and keeps tenants apart', async () => {
    for (let i = 0; i < 5; i += 1) {
      clock.advance(1000);
      await audited(services(), actor, { action: `step.${i}`, target: 't' }, () => Promise.resolve({ before: i, after: i + 1 }));
    }
    await audited(services(), { ...actor, tenantId: '0f0f0f0f-0000-4000-8000-000000000002' }, { action: 'other', target: 't' }, () =>
      Promise.resolve({ before: null, after: null }),
    );
    const first = await listAuditLog(tables, actor.tenantId, { limit: 3 });
    expect(first.items.map((e) => e.action)).toEqual(['step.4', 'step.3', 'step.2']);
    const second = await listAuditLog(tables, actor.tenantId, { limit: 3, cursor: first.nextCursor });
    expect(second.items.map((e) => e.action)).toEqual(['step.1', 'step.0', 'enrollmentGroup.add']);
    const all = [...first.items, ...second.items];
    expect(all.some((e) => e.action === 'other')).toBe(false);
  });
});
