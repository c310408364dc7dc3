/**
 * A device's state reaches Intune (`partnerReportedThreatState`) and its Entra device extension attribute through
 * the compliance queue, exactly: the right value, no redundant write, nothing lost under throttling and outages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activate, call, report, startComplianceHarness, type ComplianceHarness } from './harness.js';

let h: ComplianceHarness;

beforeAll(async () => {
  h = await startComplianceHarness({ phones: 10 });
});

afterAll(async () => {
  await h?.close();
});

function phone(index: number) {
  const found = h.phones[index];
  if (!found) throw new Error(`no phone ${index}`);
  return found;
}

describe('state reaches Intune and Entra ID', () => {
  it('pushes a high threat as highSeverity / high, and all clear as secured', async () => {
    const p = phone(0);
    await h.seed(p);
    const token = await activate(h, p);
    await h.drain();
    expect(h.intuneState(p.deviceId)).toBe('activated');
    expect(h.entraAttribute(p, 'extensionAttribute5')).toBe('activated');

    const high = await call(h.host, 'POST', 'v1/device/threat-report', token, report([{ id: 't1', classification: 'TROJAN' }]));
    expect(high.status).toBe(202);
    await h.drain();
    expect(h.intuneState(p.deviceId)).toBe('highSeverity');
    expect(h.entraAttribute(p, 'extensionAttribute5')).toBe('high');
    const pushed = await h.device(p.deviceId);
    expect(pushed).toMatchObject({ intuneState: 'highSeverity', intuneResult: 'sent', entraValue: 'high', syncPending: false });
    expect(pushed.intuneVersion).toBe(pushed.version);
    expect(pushed.entraObjectId).toBe(p.entraObjectId);

    await call(h.host, 'POST', 'v1/device/threat-report', token, report([]));
    await h.drain();
    expect(h.intuneState(p.deviceId)).toBe('secured');
    expect(h.entraAttribute(p, 'extensionAttribute5')).toBe('secured');
    expect(h.intuneWrites(p.deviceId)).toBe(3);
    expect(h.entraWrites(p.entraObjectId)).toBe(3);
  });

  it('pushes a disconnected device as unresponsive and a deactivated one as deactivated', async () => {
    const p = phone(1);
    await h.seed(p, { status: 'active', hasReport: true, riskLevel: 'low' });
    await h.change(p.deviceId, { riskLevel: 'medium' });
    await h.drain();
    expect(h.intuneState(p.deviceId)).toBe('mediumSeverity');

    await h.change(p.deviceId, { status: 'disconnected' });
    await h.drain();
    expect(h.intuneState(p.deviceId)).toBe('unresponsive');
    expect(h.entraAttribute(p, 'extensionAttribute5')).toBe('unresponsive');

    await h.change(p.deviceId, { status: 'deactivated', deactivationReason: 'left-groups' });
    await h.drain();
    expect(h.intuneState(p.deviceId)).toBe('deactivated');
    expect(h.entraAttribute(p, 'extensionAttribute5')).toBe('deactivated');
    expect((await h.device(p.deviceId)).syncPending).toBe(false);
  });

  it('sends no threat levels with threatStatus off, and no statuses with deviceStatus off', async () => {
    const p = phone(2);
    await h.seed(p, { status: 'active', hasReport: false });
    await h.setSettings((s) => ({ ...s, stateSync: { deviceStatus: true, threatStatus: false } }));
    try {
      await h.change(p.deviceId, { hasReport: true, riskLevel: 'high' });
      await h.drain();
      expect(h.intuneWrites(p.deviceId)).toBe(0);
      expect(h.entraWrites(p.entraObjectId)).toBe(0);
      expect((await h.device(p.deviceId)).syncPending).toBe(false);

      await h.setSettings((s) => ({ ...s, stateSync: { deviceStatus: false, threatStatus: true } }));
      await h.change(p.deviceId, { status: 'disconnected' });
      await h.drain();
      expect(h.intuneWrites(p.deviceId)).toBe(0);
      expect(h.entraWrites(p.entraObjectId)).toBe(0);

      await h.change(p.deviceId, { status: 'active', riskLevel: 'low' });
      await h.drain();
      expect(h.intuneState(p.deviceId)).toBe('lowSeverity');
      expect(h.entraAttribute(p, 'extensionAttribute5')).toBe('low');
    } finally {
      await h.setSettings((s) => ({ ...s, stateSync: { deviceStatus: true, threatStatus: true } }));
    }
  });

  it('ignores duplicate and reordered nudges: no regression, no redundant write', async () => {
    const p = phone(3);
    await h.seed(p, { status: 'active', hasReport: true, riskLevel: 'none' });
    const v1 = await h.change(p.deviceId, { riskLevel: 'low' }, { nudge: false });
    const v2 = await h.change(p.deviceId, { riskLevel: 'high' }, { nudge: false });
    // The newer nudge first, then the older one and duplicates of both (distinct ids, as redeliveries would be).
    await h.nudge([{ tenantId: h.tenantId, deviceId: p.deviceId, version: v2.version }]);
    await h.drain();
    expect(h.intuneState(p.deviceId)).toBe('highSeverity');
    await h.nudge([
      { tenantId: h.tenantId, deviceId: p.deviceId, version: v1.version },
      { tenantId: h.tenantId, deviceId: p.deviceId, version: v2.version, deferral: 7 },
      { tenantId: h.tenantId, deviceId: p.deviceId, version: v1.version, attempt: 2 },
    ]);
    await h.drain();
    expect(h.intuneState(p.deviceId)).toBe('highSeverity');
    expect(h.entraAttribute(p, 'extensionAttribute5')).toBe('high');
    expect(h.intuneWrites(p.deviceId)).toBe(1);
    expect(h.entraWrites(p.entraObjectId)).toBe(1);
  });

  it('drops a malformed message without retrying it', async () => {
    await h.queue.send([{ messageId: 'garbage-1', body: { hello: 'world' } }, { messageId: 'garbage-2', body: 'not json' }]);
    await h.drain();
    expect(h.queue.counts()).toMatchObject({ active: 0, locked: 0, deadLettered: 0 });
  });

  it('repairs a nudge lost on purpose through the reconcile timer, once it is older than the bound', async () => {
    const p = phone(4);
    const recent = phone(9);
    await h.seed(p, { status: 'active', hasReport: true, riskLevel: 'none' });
    await h.seed(recent, { status: 'active', hasReport: true, riskLevel: 'none' });
    // Lost 16 minutes ago (older than reconcile's 15-minute bound), and lost just now (its nudge may still be on its way).
    await h.change(p.deviceId, { riskLevel: 'medium' }, { nudge: false, at: new Date(Date.now() - 16 * 60_000) });
    await h.change(recent.deviceId, { riskLevel: 'medium' }, { nudge: false });
    await h.drain();
    expect(h.intuneWrites(p.deviceId)).toBe(0);
    expect((await h.device(p.deviceId)).syncPending).toBe(true);

    await h.host.fireTimer('reconcile');
    await h.drain();
    expect(h.intuneWrites(recent.deviceId)).toBe(0);
    expect((await h.device(recent.deviceId)).syncPending).toBe(true);
    expect(h.intuneState(p.deviceId)).toBe('mediumSeverity');
    expect(h.entraAttribute(p, 'extensionAttribute5')).toBe('medium');
    expect((await h.device(p.deviceId)).syncPending).toBe(false);
  });

  it('records a device gone from Intune (404) and does not retry it', async () => {
    const p = phone(5);
    await h.seed(p, { status: 'active', hasReport: true, riskLevel: 'none' });
    h.sim.state.retireManagedDevice(h.tenantId, p.deviceId);
    const before = h.sim.state.stats().byRoute;
    await h.change(p.deviceId, { riskLevel: 'high' });
    await h.drain();
    const device = await h.device(p.deviceId);
    expect(device).toMatchObject({ intuneResult: 'device-gone', entraValue: 'high', syncPending: false });
    await h.nudge([{ tenantId: h.tenantId, deviceId: p.deviceId, version: device.version, deferral: 1 }]);
    await h.drain();
    const patches = (stats: typeof before) => stats['PATCH /{v}/deviceManagement/managedDevices/{id}']?.['404'] ?? 0;
    expect(patches(h.sim.state.stats().byRoute) - patches(before)).toBe(1);
  });
});

describe('throttling and outages', () => {
  it('ends every device in the right state through a 429 storm and 5xx bursts, with nothing lost', async () => {
    const storm = await startComplianceHarness({ phones: 30 });
    try {
      for (const p of storm.phones) await storm.seed(p, { status: 'active', hasReport: true, riskLevel: 'none' });
      storm.sim.state.addFault({ method: 'PATCH', path: '^/v1\\.0/deviceManagement/managedDevices/', status: 429, retryAfterSeconds: 1, count: 25 });
      storm.sim.state.addFault({ method: 'PATCH', path: '^/v1\\.0/devices/', status: 503, count: 12 });
      storm.sim.state.addFault({ method: 'POST', path: '^/v1\\.0/\\$batch$', status: 503, count: 2 });
      const levels = ['low', 'medium', 'high'] as const;
      await Promise.all(storm.phones.map((p, index) => storm.change(p.deviceId, { riskLevel: levels[index % 3] })));
      const expected = { low: ['lowSeverity', 'low'], medium: ['mediumSeverity', 'medium'], high: ['highSeverity', 'high'] };
      await storm.until(async () => {
        for (const [index, p] of storm.phones.entries()) {
          const [intune, entra] = expected[levels[index % 3] ?? 'low'];
          if (storm.intuneState(p.deviceId) !== intune || storm.entraAttribute(p, 'extensionAttribute5') !== entra) return false;
          if ((await storm.device(p.deviceId)).syncPending) return false;
        }
        return true;
      }, 30_000);
      expect(storm.sim.state.faults).toHaveLength(0);
      expect(storm.queue.counts().deadLettered).toBe(0);
      const deadLetters = storm.tables.table('deadLetters').listEntities();
      for await (const _row of deadLetters) throw new Error('nothing should be dead-lettered');
    } finally {
      await storm.close();
    }
  }, 60_000);

  it('keeps within the write budget: work beyond it comes back in later windows, without a 429 or a redundant write', async () => {
    const tight = await startComplianceHarness({
      phones: 40,
      compliance: { intuneBudget: { limit: 10, windowMs: 1_000 } },
      settings: { enforcement: { intunePartner: true, entraDeviceAttribute: null } },
    });
    try {
      tight.sim.state.setThrottle({ tenantId: tight.tenantId, limit: 10, windowSeconds: 1 });
      for (const p of tight.phones) await tight.seed(p, { status: 'active', hasReport: true, riskLevel: 'none' });
      const started = Date.now();
      await Promise.all(tight.phones.map((p) => tight.change(p.deviceId, { riskLevel: 'medium' })));
      await tight.until(() => tight.phones.every((p) => tight.intuneState(p.deviceId) === 'mediumSeverity'), 30_000);
      const elapsed = Date.now() - started;
      expect(tight.sim.state.stats().throttled).toBe(0);
      expect(tight.intuneWrites()).toBe(40);
      // 40 writes at 10 per second cannot take less than about 3 seconds.
      expect(elapsed).toBeGreaterThan(2_500);
      await tight.until(async () => {
        for (const p of tight.phones) if ((await tight.device(p.deviceId)).syncPending) return false;
        return true;
      });
    } finally {
      await tight.close();
    }
  }, 60_000);

  it('dead-letters a device that keeps failing, records it and reports it, while healthy devices go through', async () => {
    const bad = await startComplianceHarness({ phones: 3, settings: { enforcement: { intunePartner: true, entraDeviceAttribute: null } } });
    try {
      for (const p of bad.phones) await bad.seed(p, { status: 'active', hasReport: true, riskLevel: 'none' });
      const [broken, ...healthy] = bad.phones;
      if (!broken) throw new Error('no phone');
      bad.sim.state.addFault({ method: 'PATCH', path: `^/v1\\.0/deviceManagement/managedDevices/${broken.deviceId}$`, status: 500, count: 1000 });
      await Promise.all(bad.phones.map((p) => bad.change(p.deviceId, { riskLevel: 'high' })));
      await bad.until(async () => (await bad.device(broken.deviceId)).deadLetteredVersion !== undefined, 30_000);
      for (const p of healthy) expect(bad.intuneState(p.deviceId)).toBe('highSeverity');
      const device = await bad.device(broken.deviceId);
      expect(device).toMatchObject({ deadLetteredVersion: device.version, syncPending: true, intuneResult: 'error' });
      const letter = await bad.tables.table('deadLetters').getEntity(bad.tenantId, `${broken.deviceId}|${device.version}`);
      expect(letter.deliveryCount).toBe(10);
      // The error report is written right after the device is marked (and its enforcement_failed event recorded).
      const deadLetterReported = async (): Promise<boolean> => {
        for await (const row of bad.tables.table('errorReports').listEntities()) if (row.kind === 'dead-letter') return true;
        return false;
      };
      await bad.until(deadLetterReported, 10_000);
      expect(await deadLetterReported()).toBe(true);
      // Reconcile leaves a dead-lettered version alone.
      await bad.host.fireTimer('reconcile');
      await bad.drain();
      expect(bad.queue.counts().active).toBe(0);
    } finally {
      await bad.close();
    }
  }, 60_000);
  it('pushes every device to a target the admin turns on later, though no device changed', async () => {
    const later = await startComplianceHarness({ phones: 2, settings: { enforcement: { intunePartner: true, entraDeviceAttribute: null } } });
    try {
      for (const p of later.phones) await later.seed(p, { status: 'active', hasReport: true, riskLevel: 'none' });
      await Promise.all(later.phones.map((p) => later.change(p.deviceId, { riskLevel: 'high' })));
      await later.drain();
      for (const p of later.phones) {
        expect(later.intuneState(p.deviceId)).toBe('highSeverity');
        expect(later.entraAttribute(p, 'extensionAttribute7') ?? null).toBeNull();
      }

      const admin = await later.token('admin');
      const put = await call(later.host, 'PUT', 'v1/console/connector', admin, {
        enforcement: { entraDeviceAttribute: 'extensionAttribute7' },
      });
      expect(put.status).toBe(200);
      await later.until(() => later.phones.every((p) => later.entraAttribute(p, 'extensionAttribute7') === 'high'), 30_000);
      // Intune was already told highSeverity: nothing is written to it again.
      for (const p of later.phones) expect(later.intuneWrites(p.deviceId)).toBe(1);
    } finally {
      await later.close();
    }
  }, 60_000);
});
