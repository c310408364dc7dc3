import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifications } from '../../../shared/domain/classifications.js';
import { activeThreats, applySnapshot } from '../../../shared/domain/threatSnapshot.js';
import type { ReportedThreat, StoredThreat } from '../../../shared/domain/threatSnapshot.js';

const t0 = '2026-03-01T08:00:00.000Z';
const t1 = '2026-03-01T09:00:00.000Z';
const t2 = '2026-03-01T10:00:00.000Z';

const openTrojan: StoredThreat = {
  threatId: 'th-1',
  classification: 'TROJAN',
  name: 'Joker',
  packageName: 'com.evil.joker',
  detectedAt: '2026-03-01T07:59:00.000Z',
  firstSeenAt: t0,
  lastSeenAt: t0,
};
const resolvedWifi: StoredThreat = {
  threatId: 'th-2',
  classification: 'UNSECURED_WIFI',
  name: 'CafeFree',
  detectedAt: '2026-02-20T12:00:00.000Z',
  firstSeenAt: '2026-02-20T12:01:00.000Z',
  lastSeenAt: '2026-02-21T12:01:00.000Z',
  resolvedAt: '2026-02-22T12:01:00.000Z',
};

describe('applying a threat snapshot', () => {
  it('opens a new threat seen for the first time', () => {
    const reported: ReportedThreat[] = [
      { id: 'th-9', classification: 'PHISHING', name: 'login-page', detectedAt: '2026-03-01T08:59:00.000Z' },
    ];
    const expected: StoredThreat = {
      threatId: 'th-9',
      classification: 'PHISHING',
      name: 'login-page',
      detectedAt: '2026-03-01T08:59:00.000Z',
      firstSeenAt: t1,
      lastSeenAt: t1,
    };
    expect(applySnapshot([], reported, t1)).toEqual({ threats: [expected], opened: [expected], resolved: [], changed: [expected] });
  });

  it('keeps an open threat that is still reported, updating last seen and details', () => {
    const reported: ReportedThreat[] = [
      { id: 'th-1', classification: 'SPY', name: 'Joker v2', packageName: 'com.evil.joker', detectedAt: openTrojan.detectedAt },
    ];
    const expected: StoredThreat = { ...openTrojan, classification: 'SPY', name: 'Joker v2', lastSeenAt: t1 };
    expect(applySnapshot([openTrojan], reported, t1)).toEqual({ threats: [expected], opened: [], resolved: [], changed: [expected] });
  });

  it('reports no change when the same snapshot is applied again at the same time', () => {
    const reported: ReportedThreat[] = [
      { id: 'th-1', classification: 'TROJAN', name: 'Joker', packageName: 'com.evil.joker', detectedAt: openTrojan.detectedAt },
    ];
    expect(applySnapshot([openTrojan], reported, t0)).toEqual({ threats: [openTrojan], opened: [], resolved: [], changed: [] });
  });

  it('resolves an open threat that is no longer reported', () => {
    const expected: StoredThreat = { ...openTrojan, resolvedAt: t1 };
    expect(applySnapshot([openTrojan], [{ id: 'th-5', classification: 'ADWARE', detectedAt: t1 }], t1)).toEqual({
      threats: [expected, { threatId: 'th-5', classification: 'ADWARE', detectedAt: t1, firstSeenAt: t1, lastSeenAt: t1 }],
      opened: [{ threatId: 'th-5', classification: 'ADWARE', detectedAt: t1, firstSeenAt: t1, lastSeenAt: t1 }],
      resolved: [expected],
      changed: [expected, { threatId: 'th-5', classification: 'ADWARE', detectedAt: t1, firstSeenAt: t1, lastSeenAt: t1 }],
    });
  });

  it('reopens a resolved threat, keeping when it was first seen', () => {
    const reported: ReportedThreat[] = [{ id: 'th-2', classification: 'UNSECURED_WIFI', name: 'CafeFree', detectedAt: t2 }];
    const expected: StoredThreat = {
      threatId: 'th-2',
      classification: 'UNSECURED_WIFI',
      name: 'CafeFree',
      detectedAt: t2,
      firstSeenAt: '2026-02-20T12:01:00.000Z',
      lastSeenAt: t2,
    };
    const result = applySnapshot([resolvedWifi], reported, t2);
    expect(result).toEqual({ threats: [expected], opened: [expected], resolved: [], changed: [expected] });
    expect('resolvedAt' in result.threats[0]!).toBe(false);
  });

  it('clears everything on an empty snapshot and leaves resolved history alone', () => {
    const result = applySnapshot([openTrojan, resolvedWifi], [], t2);
    expect(result).toEqual({
      threats: [{ ...openTrojan, resolvedAt: t2 }, resolvedWifi],
      opened: [],
      resolved: [{ ...openTrojan, resolvedAt: t2 }],
      changed: [{ ...openTrojan, resolvedAt: t2 }],
    });
    expect(activeThreats(result.threats)).toEqual([]);
  });

  it('changes nothing when an empty snapshot meets no open threats', () => {
    expect(applySnapshot([resolvedWifi], [], t2)).toEqual({ threats: [resolvedWifi], opened: [], resolved: [], changed: [] });
  });

  it('takes the last entry when a threat id is reported twice', () => {
    const result = applySnapshot(
      [],
      [
        { id: 'th-3', classification: 'ADWARE', detectedAt: t0 },
        { id: 'th-3', classification: 'RISKWARE', detectedAt: t1 },
      ],
      t2,
    );
    expect(result.threats).toEqual([{ threatId: 'th-3', classification: 'RISKWARE', detectedAt: t1, firstSeenAt: t2, lastSeenAt: t2 }]);
    expect(result.opened).toHaveLength(1);
  });

  it('does not modify its inputs', () => {
    const stored = [structuredClone(openTrojan), structuredClone(resolvedWifi)];
    const snapshot = structuredClone(stored);
    applySnapshot(stored, [{ id: 'th-2', classification: 'ROGUE_WIFI', detectedAt: t2 }], t2);
    expect(stored).toEqual(snapshot);
  });

  it('leaves exactly the reported threats open, whatever was stored', () => {
    const reportedThreat = fc.record({
      id: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
      classification: fc.constantFrom(...classifications),
      detectedAt: fc.constant(t0),
    });
    const storedThreat = fc.record({
      threatId: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
      classification: fc.constantFrom(...classifications),
      detectedAt: fc.constant(t0),
      firstSeenAt: fc.constant(t0),
      lastSeenAt: fc.constant(t1),
      resolvedAt: fc.option(fc.constant(t1), { nil: undefined }),
    });
    const uniqueStored = fc.uniqueArray(storedThreat, { selector: (s) => s.threatId }).map((rows) =>
      rows.map((row) => {
        const copy: StoredThreat = { ...row };
        if (copy.resolvedAt === undefined) delete copy.resolvedAt;
        return copy;
      }),
    );
    fc.assert(
      fc.property(uniqueStored, fc.array(reportedThreat), (stored, reported) => {
        const result = applySnapshot(stored, reported, t2);
        const reportedIds = new Set<string>(reported.map((r) => r.id));
        expect(new Set(activeThreats(result.threats).map((t) => t.threatId))).toEqual(reportedIds);
        const storedOpen = new Set<string>(activeThreats(stored).map((s) => s.threatId));
        expect(result.opened.map((t) => t.threatId).sort()).toEqual([...reportedIds].filter((id) => !storedOpen.has(id)).sort());
        expect(result.resolved.map((t) => t.threatId).sort()).toEqual([...storedOpen].filter((id) => !reportedIds.has(id)).sort());
        for (const row of result.resolved) expect(row.resolvedAt).toBe(t2);
        for (const row of activeThreats(result.threats)) expect(row.lastSeenAt).toBe(t2);
        expect(result.threats).toHaveLength(new Set([...stored.map((s) => s.threatId), ...reportedIds]).size);
      }),
    );
  });
});

describe('active threats', () => {
  it('are the rows without a resolution time', () => {
    expect(activeThreats([openTrojan, resolvedWifi])).toEqual([openTrojan]);
    expect(activeThreats([])).toEqual([]);
  });
});
