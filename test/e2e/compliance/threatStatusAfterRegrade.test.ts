/**
 * Threat status off and on again, driven through the HTTP contract right after a classification re-grade of the same
 * tenant. The re-grade holds the `device-slices` consumer, so the resync of "off" runs only after the device reported
 * all clear, and both settings changes fall within one second: the resync of "on" must still nudge the device (its
 * nudges are not duplicates of the first resync's), and the device is told `secured` without waiting for reconcile.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../../shared/base/clock.js';
import { deviceSlices } from '../../../functions/deviceSlices.js';
import { sliceQueueName } from '../../../shared/slices/sliceJobs.js';
import { activate, call, report, startComplianceHarness, type ComplianceHarness } from './harness.js';

/** The wall clock, which a test may hold at one instant (as if everything happened within one second). */
let heldAt: Date | undefined;
const clock: Clock = { now: () => (heldAt ? new Date(heldAt) : new Date()) };

let h: ComplianceHarness;

beforeAll(async () => {
  h = await startComplianceHarness({ phones: 2, clock });
}, 60_000);

afterAll(async () => {
  heldAt = undefined;
  await h?.close();
});

interface Gate {
  readonly entered: Promise<void>;
  open(): void;
}

/** Holds the next `device-slices` batch (the re-grade's) until opened, as a long re-grade holds the consumer. */
function holdNextSliceBatch(): Gate {
  const queue = h.host.queues.get(sliceQueueName);
  if (!queue) throw new Error('no device-slices queue');
  const run = deviceSlices(h.services);
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  let entered: () => void = () => undefined;
  const enteredPromise = new Promise<void>((resolve) => (entered = resolve));
  let held = false;
  queue.setHandler(async (messages, context) => {
    if (!held) {
      held = true;
      entered();
      await opened;
    }
    await run(messages, context);
  });
  return { entered: enteredPromise, open };
}

describe('threat status off and on after a re-grade', () => {
  it('tells the device secured once threat status is back on', async () => {
    const [phone, other] = h.phones;
    if (!phone || !other) throw new Error('no phones');
    const admin = await h.token('admin');
    await h.seed(phone);
    await h.seed(other);
    const device = await activate(h, phone);
    const otherDevice = await activate(h, other);
    expect((await call(h.host, 'POST', 'v1/device/threat-report', otherDevice, report([{ id: 'adw', classification: 'ADWARE' }]))).status).toBe(202);
    expect((await call(h.host, 'POST', 'v1/device/threat-report', device, report([{ id: 'tr', classification: 'TROJAN' }]))).status).toBe(202);
    await h.until(() => h.intuneState(phone.deviceId) === 'highSeverity');

    // A re-grade of the same tenant, still working when the settings change.
    const gate = holdNextSliceBatch();
    const regrade = await call(h.host, 'PUT', 'v1/console/threat-classifications/ADWARE', admin, { riskLevel: 'medium' });
    expect(regrade.status).toBe(200);
    await gate.entered;

    heldAt = new Date();
    expect((await call(h.host, 'PUT', 'v1/console/connector', admin, { stateSync: { threatStatus: false } })).status).toBe(200);
    expect((await call(h.host, 'POST', 'v1/device/threat-report', device, report([]))).status).toBe(202);
    await h.drain();
    // The re-grade ends; the resync of "off" runs now and nudges the device's all-clear version under "off".
    gate.open();
    await h.until(async () => (await h.device(phone.deviceId)).syncPending === false && h.queue.counts().active === 0);
    await h.host.queues.get(sliceQueueName)?.drain();
    await h.drain();
    expect(h.intuneState(phone.deviceId)).toBe('highSeverity');

    expect((await call(h.host, 'PUT', 'v1/console/connector', admin, { stateSync: { threatStatus: true } })).status).toBe(200);
    heldAt = undefined;
    await h.until(() => h.intuneState(phone.deviceId) === 'secured', 15_000);
  });
});
