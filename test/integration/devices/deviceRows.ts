/** Device rows for tests that do not exercise discovery: written through the device-write seam (`putDevice`), index rows included. */
import { deviceSchema, type Device } from '../../../shared/devices/device.js';
import { putDevice, readDevice } from '../../../shared/devices/deviceRepository.js';
import type { ApiRequest } from '../../../shared/http/request.js';
import type { TableStore } from '../../../shared/storage/index.js';

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
