/**
 * What a stranger's device credential costs: the rate limit is taken before any storage read, and a credential is
 * checked against the device row's hash before anything of the tenant (settings, policy, status) is loaded.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../shared/base/clock.js';
import { parseConfig } from '../../../shared/base/config.js';
import { devicePartitionKey } from '../../../shared/devices/device.js';
import { authenticateDevice } from '../../../shared/devices/deviceAuth.js';
import { issueCredential } from '../../../shared/devices/credential.js';
import { createDeviceRuntime } from '../../../shared/devices/runtime.js';
import { HttpError } from '../../../shared/http/problem.js';
import { createServices, type Services } from '../../../shared/app/services.js';
import { defaultFailureLimits } from '../../../shared/devices/failureGuard.js';
import type { TableStore } from '../../../shared/storage/index.js';
import { provisionTenant, quietLog } from '../enrollment/harness.js';
import { azuriteConnectionString, createTestTableStore } from '../../support/tables.js';
import { deviceRequest, seedDevice } from './deviceRows.js';

let tables: TableStore;
let services: Services;
let tenantId: string;
let deviceId: string;
let token: string;
let tenantLoads: number;

beforeEach(async () => {
  tables = await createTestTableStore();
  tenantId = randomUUID();
  deviceId = randomUUID();
  await provisionTenant(tables, tenantId, randomUUID(), new Date().toISOString());
  await seedDevice(tables, tenantId, { deviceId, userId: randomUUID(), status: 'active' });
  const issued = issueCredential(tenantId, deviceId);
  token = issued.token;
  await tables.table('devices').updateEntity({ partitionKey: devicePartitionKey(tenantId, deviceId), rowKey: deviceId, credentialHash: issued.hash }, 'Merge');
  const config = parseConfig({
    SENDGRID_API_KEY: 'SG.test',
    MAIL_FROM: 'mtd@connector.test',
    CONNECTOR_CLIENT_ID: '33333333-3333-4333-8333-333333333333',
    CONNECTOR_CLIENT_SECRET: 'secret',
    AzureWebJobsStorage: azuriteConnectionString(),
  });
  const runtime = createDeviceRuntime(tables, systemClock, { limits: { heartbeats: { burst: 3, perSecond: 0.001 } } });
  tenantLoads = 0;
  const counted = {
    ...runtime,
    tenants: {
      get: (id: string) => {
        tenantLoads += 1;
        return runtime.tenants.get(id);
      },
      invalidate: (id: string) => runtime.tenants.invalidate(id),
    },
  };
  services = createServices(config, { tables, log: quietLog, devices: counted });
});

async function status(run: Promise<unknown>): Promise<number> {
  try {
    await run;
    return 200;
  } catch (caught) {
    if (caught instanceof HttpError) return caught.status;
    throw caught;
  }
}

function forged(tenant: string, device: string): string {
  return `mtd1.${Buffer.from(tenant).toString('base64url')}.${Buffer.from(device).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
}

describe('device authentication cost', () => {
  it('checks a forged secret against the device row before loading anything of the tenant: one read', async () => {
    const authenticate = authenticateDevice(services, 'heartbeat');
    for (const credential of [forged(tenantId, deviceId), forged(randomUUID(), randomUUID())]) {
      const before = tables.stats.transactions;
      expect(await status(authenticate(deviceRequest(credential, 'heartbeat')))).toBe(401);
      expect(tables.stats.transactions - before).toBe(1);
    }
    expect(tenantLoads).toBe(0);
    // The device's own credential still works, and only then is the tenant loaded.
    expect(await status(authenticate(deviceRequest(token, 'heartbeat')))).toBe(200);
    expect(tenantLoads).toBe(1);
  });

  it('limits failed credentials apart: once their bucket is empty a forged request costs no storage read', async () => {
    const authenticate = authenticateDevice(services, 'heartbeat');
    let refusedWithRead = 0;
    let answer = 401;
    while (answer === 401 && refusedWithRead <= defaultFailureLimits.perDevice.burst) {
      answer = await status(authenticate(deviceRequest(forged(tenantId, deviceId), 'heartbeat')));
      if (answer === 401) refusedWithRead += 1;
    }
    expect(answer).toBe(429);
    expect(refusedWithRead).toBeLessThanOrEqual(defaultFailureLimits.perDevice.burst);
    const before = tables.stats.transactions;
    for (let i = 0; i < 20; i += 1) expect(await status(authenticate(deviceRequest(forged(tenantId, deviceId), 'heartbeat')))).toBe(429);
    expect(tables.stats.transactions - before).toBe(0);
    expect(tenantLoads).toBe(0);
  });
});
