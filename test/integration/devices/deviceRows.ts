/** Device rows for tests that do not exercise discovery: written through the device-write seam (`putDevice`), index rows included. */
import { randomUUID } from 'node:crypto';
import { deviceFromEntity, devicePartitionKey, deviceSchema, type Device } from '../../../shared/devices/device.js';
import { threatIndexRowKey, threatRowKey } from '../../../shared/devices/threatRows.js';
import { indexRows } from '../../../shared/devices/deviceIndex.js';
import { putDevice, readDevice } from '../../../shared/devices/deviceRepository.js';
import { issueCredential } from '../../../shared/devices/credential.js';
import type { ApiRequest } from '../../../shared/http/request.js';
import { anyEntity, listAll, odata, type TableStore } from '../../../shared/storage/index.js';

export interface SeedDevice {
  readonly deviceId: string;
  readonly userId: string;
  readonly status?: Device['status'];
  readonly platform?: Device['platform'];
  readonly deviceName?: string;
  readonly userPrincipalName?: string;
}

export async function seedDevice(tables: TableStore, tenantId: string, seed: SeedDevice, at = '2026-03-01T09:00:00.000Z'): Promise<Device> {
  const device = deviceSchema.parse({
    tenantId,
    deviceId: seed.deviceId,
    intuneDeviceId: seed.deviceId,
    deviceName: seed.deviceName ?? 'phone',
    platform: seed.platform ?? 'ios',
    osVersion: '17.4',
    userId: seed.userId,
    userPrincipalName: seed.userPrincipalName ?? 'user@contoso.test',
    status: seed.status ?? 'pending',
    statusChangedAt: at,
    discoveredAt: at,
    ...(seed.status === 'deactivated' ? { deactivatedAt: at, deactivationReason: 'left-groups' } : {}),
  });
  await putDevice(tables, device, new Date(at));
  const stored = await readDevice(tables, tenantId, seed.deviceId);
  if (!stored) throw new Error('seeded device not found');
  return stored;
}

/**
 * An active device graded `low` by one open ADWARE threat `t{index}` (its threat row and classification index row):
 * what a re-grade of ADWARE finds.
 */
/** An activated device (active, a fresh credential, checked in now) and the agent's token for it. */
export async function seedActiveDevice(tables: TableStore, tenantId: string, seed: Partial<SeedDevice> = {}): Promise<{ deviceId: string; token: string }> {
  const deviceId = seed.deviceId ?? randomUUID();
  const credential = issueCredential(tenantId, deviceId);
  await seedDevice(tables, tenantId, { ...seed, deviceId, userId: seed.userId ?? randomUUID() });
  const now = new Date().toISOString();
  await tables.table('devices').updateEntity(
    { partitionKey: devicePartitionKey(tenantId, deviceId), rowKey: deviceId, status: 'active', credentialHash: credential.hash, lastCheckInAt: now, activatedAt: now },
    'Merge',
  );
  return { deviceId, token: credential.token };
}

export async function seedAdwareDevice(tables: TableStore, tenantId: string, deviceId: string, index: number, at: string): Promise<void> {
  await putDevice(
    tables,
    deviceSchema.parse({
      tenantId,
      deviceId,
      intuneDeviceId: deviceId,
      platform: 'ios',
      userId: randomUUID(),
      status: 'active',
      statusChangedAt: at,
      discoveredAt: at,
      activatedAt: at,
      hasReport: true,
      riskLevel: 'low',
      version: 2,
    }),
  );
  const row = { partitionKey: devicePartitionKey(tenantId, deviceId), deviceId, threatId: `t${index}`, classification: 'ADWARE' };
  await tables.table('threats').upsertEntity({ ...row, rowKey: threatRowKey(deviceId, `t${index}`), detectedAt: at, firstSeenAt: at, lastSeenAt: at });
  await tables.table('threats').upsertEntity({ ...row, rowKey: threatIndexRowKey('ADWARE', deviceId, `t${index}`) });
}

/** The device row as stored, or a test failure when it is missing. */
export async function storedDevice(tables: TableStore, tenantId: string, deviceId: string): Promise<Device> {
  const device = await readDevice(tables, tenantId, deviceId);
  if (!device) throw new Error(`device ${deviceId} not found`);
  return device;
}

/** An agent's call as the HTTP edge hands it on: the device credential as its bearer token, the body already read. */
export function deviceRequest(token: string, route: 'threat-report' | 'heartbeat' = 'threat-report'): ApiRequest {
  return {
    method: 'POST',
    url: `https://localhost/api/v1/device/${route}`,
    headers: new Headers({ authorization: `Bearer ${token}`, 'content-type': 'application/json' }),
    query: new URLSearchParams(),
    params: {},
    text: () => Promise.resolve('{}'),
  };
}

/**
 * The rows beside the tenant's device rows as stored (`actual`) and as the device rows call for them (`expected`),
 * by `{partition}/{rowKey}`: equal when the index is right.
 */
export async function indexRowsOf(
  tables: TableStore,
  tenantId: string,
): Promise<{ devices: Device[]; actual: Record<string, Record<string, unknown>>; expected: Record<string, Record<string, unknown>> }> {
  const devices: Device[] = [];
  const actual: Record<string, Record<string, unknown>> = {};
  const expected: Record<string, Record<string, unknown>> = {};
  const filter = odata`PartitionKey ge ${`${tenantId}|`} and PartitionKey lt ${`${tenantId}}`}`;
  for await (const row of listAll(tables.table('devices'), { schema: anyEntity, filter })) {
    if (row.rowKey.startsWith('~e|')) continue; // event outbox rows: the events capability's
    if (row.rowKey.startsWith('~n')) continue; // device counter rows: deviceCounters.ts
    if (row.rowKey.startsWith('~t|')) continue; // timeline rows: deviceTimeline.ts
    if (row.rowKey.startsWith('~w|')) continue; // activation-wait rows: deviceCounters.ts (its own tests)
    if (row.rowKey.startsWith('~')) {
      const { partitionKey: _pk, rowKey, etag: _etag, timestamp: _ts, ...fields } = row;
      actual[`${row.partitionKey}/${rowKey}`] = fields;
    } else {
      const device = deviceFromEntity(row);
      devices.push(device);
      for (const index of indexRows(device)) expected[`${row.partitionKey}/${index.rowKey}`] = { ...index.fields };
    }
  }
  return { devices, actual, expected };
}
