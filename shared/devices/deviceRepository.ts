/**
 * Reading and writing device rows with optimistic concurrency: every write is conditioned on the ETag it read;
 * a lost race re-reads and applies the change again. The version rule (`withVersionRule`) is applied on every write.
 */
import { odata } from '@azure/data-tables';
import { statusOf } from '../errors.js';
import { ConcurrencyExhausted } from '../storage/errors.js';
import type { TableStore } from '../storage/tableStore.js';
import { deviceFromEntity, devicePartitionKey, deviceToEntity, tenantDevicesFilter, withVersionRule, type Device } from './device.js';

const maxAttempts = 8;

/**
 * Parsed device rows by ETag (per process, bounded): a row read again with an unchanged ETag has unchanged content,
 * so its parse is reused. The row is still read from storage every time; only the parse is saved.
 */
export interface ParsedDeviceCache {
  get(key: string, etag: string): Device | undefined;
  /** The last row this instance read or wrote for the device, whatever its ETag (it may be stale). */
  latest(key: string): Device | undefined;
  set(key: string, device: Device): void;
}

export function createParsedDeviceCache(maxEntries = 10_000): ParsedDeviceCache {
  const entries = new Map<string, Device>();
  return {
    get(key, etag) {
      const device = entries.get(key);
      return device !== undefined && device.etag === etag ? device : undefined;
    },
    latest(key) {
      return entries.get(key);
    },
    set(key, device) {
      if (device.etag === undefined) return;
      entries.delete(key);
      entries.set(key, device);
      if (entries.size > maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
    },
  };
}

export async function readDevice(
  tables: TableStore,
  tenantId: string,
  deviceId: string,
  parsed?: ParsedDeviceCache,
): Promise<Device | undefined> {
  try {
    const raw = await tables.table('devices').getEntity(devicePartitionKey(tenantId, deviceId), deviceId);
    if (!parsed) return deviceFromEntity(raw);
    const key = `${tenantId}|${deviceId}`;
    const known = typeof raw.etag === 'string' ? parsed.get(key, raw.etag) : undefined;
    if (known) return known;
    const device = deviceFromEntity(raw);
    parsed.set(key, device);
    return device;
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

/** Replaces the row if its ETag still matches `device.etag`; returns the device with its new ETag. Throws 412 otherwise. */
export async function replaceDevice(tables: TableStore, device: Device): Promise<Device> {
  if (!device.etag) throw new Error('replaceDevice needs the ETag the device was read with');
  const response = await tables.table('devices').updateEntity(deviceToEntity(device), 'Replace', { etag: device.etag });
  return { ...device, etag: response.etag ?? device.etag };
}

/** What a change decided: the new row, or no write. */
export type DeviceChange = Device | undefined;

export interface DeviceWrite {
  readonly before: Device;
  readonly after: Device;
  /** A nudge for `after.version` is due (what Intune or Entra should be told changed). */
  readonly nudge: boolean;
}

/**
 * Applies `change` to the current row and writes it with its ETag, re-reading and retrying when another writer got
 * there first. `change` returning undefined means nothing to write (the result is then undefined too); `start`
 * is a row already read (saves the first read). Resolves undefined when the device does not exist.
 */
export async function mutateDevice(
  tables: TableStore,
  tenantId: string,
  deviceId: string,
  change: (current: Device) => DeviceChange,
  start?: Device,
): Promise<DeviceWrite | undefined> {
  let current = start ?? (await readDevice(tables, tenantId, deviceId));
  for (let attempt = 1; ; attempt += 1) {
    if (!current) return undefined;
    const next = change(current);
    if (!next) return undefined;
    const { device, nudge } = withVersionRule(current, next);
    try {
      const after = await replaceDevice(tables, { ...device, etag: current.etag });
      return { before: current, after, nudge };
    } catch (error) {
      const status = statusOf(error);
      if (status !== 412 && status !== 404) throw error;
      if (attempt >= maxAttempts) throw new ConcurrencyExhausted(tables.physicalName('devices'), tenantId, deviceId, attempt);
      current = await readDevice(tables, tenantId, deviceId);
    }
  }
}

/** Active devices of a tenant whose last check-in is at or before `cutoff` (ISO 8601, compared as text: same format). */
export async function* silentActiveDevices(tables: TableStore, tenantId: string, cutoff: string): AsyncGenerator<Device> {
  const entities = tables.table('devices').listEntities({
    queryOptions: { filter: `${tenantDevicesFilter(tenantId)} and ${odata`status eq 'active' and lastCheckInAt le ${cutoff}`}` },
  });
  for await (const entity of entities) yield deviceFromEntity(entity);
}
