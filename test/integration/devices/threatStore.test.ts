/**
 * The threat store against real Table Storage (Azurite): history, the re-grade index in step with the threat rows,
 * and ordering of concurrent reports across two "instances" (separate caches and locks on the same tables).
 */
import { randomUUID } from 'node:crypto';
import { devicePartitionKey } from '../../../shared/devices/device.js';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Classification, ReportedThreat } from '../../../shared/domain/index.js';
import { createKeyedMutex } from '../../../shared/base/keyedMutex.js';
import { applyThreatReport, type ReportInput } from '../../../shared/devices/threatStore.js';
import { listDeviceThreats } from '../../../shared/devices/threatRows.js';
import { createThreatStateCache, threatStateKey } from '../../../shared/devices/threatCache.js';
import { odata, type TableStore } from '../../../shared/storage/index.js';
import { toEvent } from '../../../shared/events/event.js';
import { createTestTableStore } from '../../support/tables.js';

let tables: TableStore;
let tenantId: string;
let deviceId: string;

beforeEach(async () => {
  tables = await createTestTableStore();
  tenantId = randomUUID();
  deviceId = randomUUID();
});

const threat = (id: string, classification: Classification = 'TROJAN'): ReportedThreat => ({
  id,
  classification,
  name: `threat ${id}`,
  detectedAt: '2026-03-01T09:00:00.000Z',
});

function report(sequence: number, threats: ReportedThreat[], at = '2026-03-01T10:00:00.000Z', reportId = `r-${sequence}`): ReportInput {
  return { tenantId, deviceId, session: 's1', credentialHash: 'a1'.repeat(32), reportId, sequence, threats, observedAt: at, now: at };
}

async function indexRows(): Promise<string[]> {
  const keys: string[] = [];
  const low = 'c|';
  const high = 'c}';
  for await (const row of tables.table('threats').listEntities({
    queryOptions: { filter: odata`PartitionKey eq ${devicePartitionKey(tenantId, deviceId)} and RowKey ge ${low} and RowKey lt ${high}` },
  })) {
    keys.push(String(row.rowKey));
  }
  return keys.sort();
}

const openIds = async (): Promise<string[]> =>
  (await listDeviceThreats(tables, tenantId, deviceId))
    .filter((t) => t.resolvedAt === undefined)
    .map((t) => t.threatId)
    .sort();

describe('threat store', () => {
  it('keeps first-seen, last-seen and resolved-at history and the index in step', async () => {
    const cache = createThreatStateCache();
    await applyThreatReport(tables, cache, report(1, [threat('a'), threat('b', 'ADWARE')], '2026-03-01T10:00:00.000Z'));
    await applyThreatReport(tables, cache, report(2, [threat('b', 'ADWARE')], '2026-03-01T11:00:00.000Z'));
    expect(await indexRows()).toEqual([`c|ADWARE|${deviceId}|b`]);

    // Reopened (another instance: no cache), and b reclassified while open.
    const outcome = await applyThreatReport(
      tables,
      createThreatStateCache(),
      report(3, [threat('a'), threat('b', 'SPY')], '2026-03-01T12:00:00.000Z'),
    );
    expect(outcome.applied).toBe(true);
    const rows = await listDeviceThreats(tables, tenantId, deviceId);
    const a = rows.find((t) => t.threatId === 'a');
    expect(a).toMatchObject({ firstSeenAt: '2026-03-01T10:00:00.000Z', lastSeenAt: '2026-03-01T12:00:00.000Z' });
    expect(a?.resolvedAt).toBeUndefined();
    expect(await indexRows()).toEqual([`c|SPY|${deviceId}|b`, `c|TROJAN|${deviceId}|a`].sort());

    await applyThreatReport(tables, cache, report(4, [], '2026-03-01T13:00:00.000Z'));
    const cleared = await listDeviceThreats(tables, tenantId, deviceId);
    expect(cleared.map((t) => t.resolvedAt)).toEqual(['2026-03-01T13:00:00.000Z', '2026-03-01T13:00:00.000Z']);
    expect(await indexRows()).toEqual([]);
  });

  it('ignores stale sequences and repeated report ids, and starts again in a new session', async () => {
    const cache = createThreatStateCache();
    expect((await applyThreatReport(tables, cache, report(5, [threat('a')]))).applied).toBe(true);
    expect((await applyThreatReport(tables, cache, report(5, [threat('x')], undefined, 'other'))).applied).toBe(false);
    expect((await applyThreatReport(tables, cache, report(4, [threat('x')]))).applied).toBe(false);
    expect((await applyThreatReport(tables, cache, report(9, [threat('x')], undefined, 'r-5'))).applied).toBe(false);
    expect(await openIds()).toEqual(['a']);
    const fresh = { ...report(0, [threat('z')]), session: 's2' };
    expect((await applyThreatReport(tables, createThreatStateCache(), fresh)).applied).toBe(true);
    expect(await openIds()).toEqual(['z']);
  });

  it('writes snapshots larger than one batch', async () => {
    const many = Array.from({ length: 500 }, (_, i) => threat(`t${String(i).padStart(3, '0')}`));
    await applyThreatReport(tables, createThreatStateCache(), report(1, many));
    expect(await openIds()).toHaveLength(500);
    expect(await indexRows()).toHaveLength(500);
    await applyThreatReport(tables, createThreatStateCache(), report(2, many.slice(0, 3)));
    expect(await openIds()).toEqual(['t000', 't001', 't002']);
    expect(await indexRows()).toHaveLength(3);
  });

  it('ends with exactly the highest sequence when 100 shuffled reports race on two instances', async () => {
    const instances = [0, 1].map(() => ({ cache: createThreatStateCache(), lock: createKeyedMutex() }));
    const sequences = Array.from({ length: 100 }, (_, i) => i + 1);
    for (let i = sequences.length - 1; i > 0; i -= 1) {
      const j = Math.floor(Math.random() * (i + 1));
      [sequences[i], sequences[j]] = [sequences[j] as number, sequences[i] as number];
    }
    // Each report's threats are unique to its sequence, so any mix-up shows.
    const threatsOf = (sequence: number): ReportedThreat[] => [threat(`s${sequence}-a`), threat(`s${sequence}-b`, 'PHISHING')];
    const outcomes = await Promise.all(
      sequences.map((sequence, index) => {
        const instance = instances[index % 2];
        if (!instance) throw new Error('no instance');
        return instance.lock(threatStateKey(tenantId, deviceId), () =>
          applyThreatReport(tables, instance.cache, report(sequence, threatsOf(sequence))),
        );
      }),
    );
    expect(outcomes.some((outcome) => outcome.applied)).toBe(true);
    expect(await openIds()).toEqual(['s100-a', 's100-b']);
    expect(await indexRows()).toEqual([`c|PHISHING|${deviceId}|s100-b`, `c|TROJAN|${deviceId}|s100-a`].sort());
    // Once 100 is applied, nothing lower can be.
    const late = await applyThreatReport(tables, createThreatStateCache(), report(99, threatsOf(99), undefined, 'late'));
    expect(late.applied).toBe(false);
  });

  it("marks the outbox rows a write commits as exclusive only when it followed this instance's own last write", async () => {
    // One event per opened threat, as the report path records them.
    const withEvents = (input: ReportInput): ReportInput => ({
      ...input,
      events: {
        events: ({ opened }) =>
          opened.map((stored) =>
            toEvent(tenantId, {
              type: 'audit.recorded',
              occurredAt: input.now,
              data: { actor: { id: 'agent', name: 'agent' }, action: 'threat.opened', target: stored.threatId, before: null, after: null },
            }),
          ),
        prepare: () => Promise.resolve(),
      },
    });
    const mine = createThreatStateCache();
    const exclusive = async (cache: ReturnType<typeof createThreatStateCache>, sequence: number, threats: ReportedThreat[]) => {
      const outcome = await applyThreatReport(tables, cache, withEvents(report(sequence, threats)));
      if (!outcome.applied) throw new Error('not applied');
      return { exclusive: outcome.outbox.exclusive, rows: outcome.outbox.rows.map((row) => row.rowKey) };
    };
    // The first write read the device's rows from storage: whatever another writer left there is not known.
    const first = await exclusive(mine, 1, [threat('a')]);
    expect(first.exclusive).toBe(false);
    expect(first.rows).toHaveLength(1);
    expect(first.rows[0]).toMatch(/^e\|evt_/);
    // The next one went in on the ETag this instance's write left: nobody else wrote in between.
    expect(await exclusive(mine, 2, [threat('a'), threat('b')])).toMatchObject({ exclusive: true, rows: [expect.stringMatching(/^e\|/)] });
    // Another instance writes; this instance's next write finds its ETag moved and reads again: not exclusive.
    await exclusive(createThreatStateCache(), 3, [threat('a'), threat('b'), threat('c')]);
    expect((await exclusive(mine, 4, [threat('a'), threat('b'), threat('c'), threat('d')])).exclusive).toBe(false);
    expect((await exclusive(mine, 5, [threat('e')])).exclusive).toBe(true);
  });
});
