/**
 * A push batch larger than the room left in the tenant's Intune budget: the devices that fit go now, the rest come
 * back later without being read or recorded now, so a backlog (a re-grade of thousands of devices) costs storage
 * requests for the devices that go, not for every device the queue hands over. Every device still reaches Intune,
 * once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPush } from '../../../shared/compliance/push.js';
import type { Nudge } from '../../../shared/devices/complianceNudges.js';
import { countStorageRequests, withStorageCause } from '../../../shared/storage/requestCounts.js';
import { startComplianceHarness, type ComplianceHarness } from './harness.js';

let h: ComplianceHarness;
const limit = 20;

beforeAll(async () => {
  h = await startComplianceHarness({
    phones: 60,
    compliance: { intuneBudget: { limit, windowMs: 2_000 } },
    settings: { enforcement: { intunePartner: true, entraDeviceAttribute: null } },
  });
  h.sim.state.setThrottle({ tenantId: h.tenantId, limit, windowSeconds: 2 });
});

afterAll(async () => {
  await h?.close();
});

describe('a push batch beyond the budget', () => {
  it('reads and records only the devices that go now; the rest come back later and every device reaches Intune once', async () => {
    // Every device's level changed since Intune was last told (written as such, so that nothing nudges them yet).
    const nudges: Nudge[] = [];
    for (const p of h.phones) {
      const seeded = await h.seed(p, { status: 'active', hasReport: true, riskLevel: 'medium', version: 2, intuneState: 'secured', intuneVersion: 1 });
      nudges.push({ tenantId: h.tenantId, deviceId: p.deviceId, version: seeded.version });
    }
    expect(h.intuneWrites()).toBe(0);

    // One batch of 60 new nudges against a budget of 20: the push the queue's consumer runs, called here so its
    // storage requests can be told apart from the host's.
    const { services } = h;
    const push = createPush({
      tables: services.tables,
      clock: services.clock,
      log: services.log,
      graph: services.graph,
      queues: services.queues,
      budget: services.compliance.intuneBudget,
    });
    const counter = countStorageRequests();
    const summary = await withStorageCause('push-under-test', () => push(nudges.map((nudge) => ({ nudge, deliveryCount: 1 }))));
    counter.stop();

    expect(summary.intuneSent).toBe(limit);
    expect(summary.deferred).toBe(nudges.length - limit);
    const devicesTable = services.tables.physicalName('devices');
    const deviceRequests = counter.counts().byTable['push-under-test']?.[devicesTable] ?? 0;
    // A read and a record per device written now; nothing for the 40 turned away (it was 2 per device of the batch).
    expect(deviceRequests).toBeLessThanOrEqual(2 * limit);
    expect(deviceRequests).toBeGreaterThanOrEqual(limit);

    // The 40 come back through the queue in later windows: each device is written once, nothing is throttled.
    await h.until(() => h.phones.every((p) => h.intuneState(p.deviceId) === 'mediumSeverity'), 30_000);
    expect(h.intuneWrites()).toBe(h.phones.length);
    for (const p of h.phones) expect(h.intuneWrites(p.deviceId)).toBe(1);
    expect(h.sim.state.stats().throttled).toBe(0);
    await h.until(async () => {
      for (const p of h.phones) if ((await h.device(p.deviceId)).syncPending) return false;
      return true;
    });
  }, 60_000);
});
