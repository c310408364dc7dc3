/**
 * Discovery's read of the tenant's device rows: every row, read in key ranges side by side, typed only when the plan
 * or the writes need a row as a `Device` (most devices of most runs stay as they are, and the plan can tell that
 * from the row as stored; see `unchangedByEnrollment`).
 */
import type { TableClient } from '@azure/data-tables';
import { deviceFromEntity, devicePartitionsFilter, type Device } from '../devices/device.js';
import type { StoredDevices, StoredRow } from './reconcile.js';

/**
 * A tenant's device partitions (`<tenant>|<first two characters of the device id>`) in 16 key ranges, by the first
 * character after the bar: together they cover the tenant's whole range (`<tenant>|` up to `<tenant>}`), whatever
 * the device ids.
 */
export function storedDeviceRanges(tenantId: string): { from: string; to: string }[] {
  const digits = '123456789abcdef';
  const bounds = [`${tenantId}|`, ...[...digits].map((digit) => `${tenantId}|${digit}`), `${tenantId}}`];
  return bounds.slice(1).map((to, at) => ({ from: bounds[at] ?? '', to }));
}

/** Device rows by device id as stored, each typed (`deviceFromEntity`) the first time it is asked for as a `Device`. */
export class StoredDeviceRows implements StoredDevices {
  readonly #rows = new Map<string, StoredRow>();
  readonly #typed = new Map<string, Device>();

  add(deviceId: string, row: StoredRow): void {
    this.#rows.set(deviceId, row);
  }

  get size(): number {
    return this.#rows.size;
  }

  has(deviceId: string): boolean {
    return this.#rows.has(deviceId);
  }

  row(deviceId: string): StoredRow | undefined {
    return this.#rows.get(deviceId);
  }

  get(deviceId: string): Device | undefined {
    const typed = this.#typed.get(deviceId);
    if (typed !== undefined) return typed;
    const row = this.#rows.get(deviceId);
    if (row === undefined) return undefined;
    const device = deviceFromEntity(row);
    this.#typed.set(deviceId, device);
    return device;
  }

  keys(): MapIterator<string> {
    return this.#rows.keys();
  }

  *entries(): MapIterator<[string, Device]> {
    for (const deviceId of this.#rows.keys()) yield [deviceId, this.get(deviceId) as Device];
  }

  *values(): MapIterator<Device> {
    for (const deviceId of this.#rows.keys()) yield this.get(deviceId) as Device;
  }

  [Symbol.iterator](): MapIterator<[string, Device]> {
    return this.entries();
  }

  forEach(callback: (value: Device, key: string, map: ReadonlyMap<string, Device>) => void): void {
    for (const [deviceId, device] of this.entries()) callback(device, deviceId, this);
  }
}

/**
 * The tenant's device rows (1,000 per storage page), read as 16 key ranges side by side: the pages of one query come
 * one after another, so a 150,000-device tenant read as one range is 150 round trips in a row. Azurite evaluates
 * each page's filter against every row of the table and sorts what matches; a narrow range rejects most rows on
 * its first comparison and sorts a sixteenth as much, so it costs less there too.
 */
export async function readStoredDevices(table: TableClient, tenantId: string): Promise<StoredDeviceRows> {
  const devices = new StoredDeviceRows();
  await Promise.all(
    storedDeviceRanges(tenantId).map(async ({ from, to }) => {
      const filter = devicePartitionsFilter(from, to);
      for await (const page of table.listEntities<Record<string, unknown>>({ queryOptions: { filter } }).byPage({ maxPageSize: 1000 })) {
        for (const row of page) if (typeof row.rowKey === 'string') devices.add(row.rowKey, row);
      }
    }),
  );
  return devices;
}
