/**
 * The attempts in flight in one process: a tenant's share is capped beside the per-endpoint and per-process caps, so
 * a tenant with many slow endpoints leaves room for every other tenant's deliveries.
 */
import { describe, expect, it } from 'vitest';
import { createWebhookRuntime } from '../../../shared/webhooks/runtime.js';

describe('webhook attempts in flight', () => {
  it("caps one tenant's attempts across its endpoints and leaves the rest to other tenants", () => {
    const runtime = createWebhookRuntime({ maxInFlight: 100, maxInFlightPerTenant: 6, maxInFlightPerEndpoint: 4 });
    const taken = [1, 2, 3].flatMap((endpoint) => [1, 2, 3, 4].map(() => runtime.tryAcquire('tenant-a', `tenant-a|e${endpoint}`)));
    // Four on the first endpoint (its own cap), two on the second, then the tenant's share is used up.
    expect(taken.filter(Boolean)).toHaveLength(6);
    expect(runtime.tryAcquire('tenant-a', 'tenant-a|e9')).toBe(false);
    expect(runtime.tryAcquire('tenant-b', 'tenant-b|e1')).toBe(true);
    // A finished attempt frees a place in its tenant's share.
    runtime.release('tenant-a', 'tenant-a|e1');
    expect(runtime.tryAcquire('tenant-a', 'tenant-a|e9')).toBe(true);
    expect(runtime.tryAcquire('tenant-a', 'tenant-a|e9')).toBe(false);
  });

  it('still caps each endpoint and the process', () => {
    const runtime = createWebhookRuntime({ maxInFlight: 3, maxInFlightPerTenant: 10, maxInFlightPerEndpoint: 2 });
    expect(runtime.tryAcquire('a', 'a|1')).toBe(true);
    expect(runtime.tryAcquire('a', 'a|1')).toBe(true);
    expect(runtime.tryAcquire('a', 'a|1')).toBe(false);
    expect(runtime.tryAcquire('b', 'b|1')).toBe(true);
    expect(runtime.tryAcquire('c', 'c|1')).toBe(false);
  });

  it('wakes a batch waiting for a slot when one frees, and tells it when none freed in time', async () => {
    const runtime = createWebhookRuntime({ maxInFlight: 10, maxInFlightPerTenant: 10, maxInFlightPerEndpoint: 1 });
    expect(runtime.tryAcquire('a', 'a|1')).toBe(true);
    expect(runtime.hasFreeSlot('a', 'a|1')).toBe(false);
    expect(runtime.hasFreeSlot('a', 'a|2')).toBe(true);
    expect(await runtime.whenSlotFrees(10)).toBe(false);
    const waiting = runtime.whenSlotFrees(60_000);
    runtime.release('a', 'a|1');
    expect(await waiting).toBe(true);
    expect(runtime.hasFreeSlot('a', 'a|1')).toBe(true);
  });
});
