/**
 * Settings are read-your-writes for pushes: once `PUT /api/v1/console/connector` has answered on one instance, a
 * push that starts on another instance (sharing the same storage) pushes under the new settings, even when that
 * instance pushed for the tenant a moment before (and so would hold the old settings in a per-instance cache).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHost } from '../../../dev/host/server.js';
import type { LocalQueue } from '../../../dev/host/queue.js';
import { complianceQueueName, sendNudges } from '../../../shared/devices/complianceNudges.js';
import { createComplianceRuntime } from '../../../shared/compliance/runtime.js';
import { createGraphAccess } from '../../../shared/graph/index.js';
import { call, startComplianceHarness, type ComplianceHarness } from './harness.js';

let h: ComplianceHarness;
/** A second instance of the service: its own host, queue and caches, the same tables. */
let other: LocalHost;
let otherQueue: LocalQueue;

beforeAll(async () => {
  h = await startComplianceHarness({ phones: 2, settings: { enforcement: { intunePartner: true, entraDeviceAttribute: null } } });
  const second = await h.stack.addHost({
    functionKey: 'other-key',
    queue: { retryDelayMs: () => 20 },
    overrides: ({ config, tables }) => ({
      graph: createGraphAccess(config, { retry: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 2 } }),
      compliance: createComplianceRuntime(tables, h.services.clock, { retryDelayMs: () => 50 }),
    }),
  });
  other = second.host;
  const queue = other.queues.get(complianceQueueName);
  if (!queue) throw new Error('the second instance has no compliance queue');
  otherQueue = queue;
}, 60_000);

afterAll(async () => {
  await other.close();
  await h.close();
});

/** Changes the device's risk and has the second instance push it, right away. */
async function pushOnOtherInstance(deviceId: string, riskLevel: 'low' | 'medium' | 'high'): Promise<void> {
  const after = await h.change(deviceId, { riskLevel }, { nudge: false });
  await sendNudges(() => otherQueue, [{ tenantId: h.tenantId, deviceId, version: after.version }]);
  await otherQueue.drain({ timeoutMs: 20_000 });
}

describe('a settings change followed at once by a push on another instance', () => {
  it('holds for the push: threat status off sends no threat level, and on again sends it', async () => {
    const phone = h.phones[0];
    if (!phone) throw new Error('no phone');
    const at = new Date().toISOString();
    await h.seed(phone, { status: 'active', activatedAt: at, hasReport: true, riskLevel: 'low', version: 2, syncPending: true });

    // The second instance pushes for the tenant (and reads its settings: threat status on).
    await pushOnOtherInstance(phone.deviceId, 'medium');
    expect(h.intuneState(phone.deviceId)).toBe('mediumSeverity');
    const writes = h.intuneWrites(phone.deviceId);

    // Threat status off, through the console on the first instance; then at once a push on the second.
    const admin = await h.token('admin');
    const off = await call(h.host, 'PUT', 'v1/console/connector', admin, { stateSync: { threatStatus: false } });
    expect(off.status).toBe(200);
    await pushOnOtherInstance(phone.deviceId, 'high');
    expect(h.intuneWrites(phone.deviceId)).toBe(writes);
    expect(h.intuneState(phone.deviceId)).toBe('mediumSeverity');

    // And back on: the very next push sends the threat level.
    const on = await call(h.host, 'PUT', 'v1/console/connector', admin, { stateSync: { threatStatus: true } });
    expect(on.status).toBe(200);
    await pushOnOtherInstance(phone.deviceId, 'low');
    expect(h.intuneState(phone.deviceId)).toBe('lowSeverity');
  });
});
