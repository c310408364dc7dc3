/**
 * Devices (GET /api/v1/console/devices and /devices/{deviceId}): a filtered page, a search by name over the pages,
 * and one device's detail (the overview reads the fleet's counts from ./fleet.ts).
 */
import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { useSession } from '../context.js';
import { answer, type ApiClient } from './client.js';
import type { operations } from './schema.js';
import { attestationStatuses } from './trust.js';

export type DeviceList = operations['getConsoleDevices']['responses'][200]['content']['application/json'];
export type DeviceQuery = NonNullable<operations['getConsoleDevices']['parameters']['query']>;
export type ConsoleDevice = DeviceList['items'][number];
export type DeviceDetail = operations['getConsoleDevicesDeviceId']['responses'][200]['content']['application/json'];
export type RiskLevel = ConsoleDevice['riskLevel'];
export type DeviceStatus = ConsoleDevice['status'];
export type Platform = ConsoleDevice['platform'];

/** The list's filters as chosen on the page: a value, or '' (or nothing) for any. */
export interface DeviceFilters {
  readonly status?: string;
  readonly riskLevel?: string;
  readonly platform?: string;
  readonly attestation?: string;
}


const statuses = ['pending', 'active', 'disconnected', 'deactivated'] as const satisfies readonly DeviceStatus[];
const riskLevels = ['none', 'low', 'medium', 'high'] as const satisfies readonly RiskLevel[];
const platforms = ['ios', 'android'] as const satisfies readonly Platform[];

function oneOf<T extends string>(value: string | undefined, options: readonly T[]): T | undefined {
  return options.find((option) => option === value);
}

/** The list's query: only the filters that are set, the cursor when there is one, and the page size. */
export function deviceListParams(filters: DeviceFilters & { cursor?: string | null; limit?: number }): DeviceQuery {
  const status = oneOf(filters.status, statuses);
  const riskLevel = oneOf(filters.riskLevel, riskLevels);
  const platform = oneOf(filters.platform, platforms);
  const attestation = oneOf(filters.attestation, attestationStatuses);
  return {
    ...(status ? { status } : {}),
    ...(riskLevel ? { riskLevel } : {}),
    ...(platform ? { platform } : {}),
    ...(attestation ? { attestation } : {}),
    ...(filters.cursor ? { cursor: filters.cursor } : {}),
    limit: filters.limit ?? 50,
  };
}

/** Devices per page of the list. */
const pageSize = 50;
/** Searches read the list in pages of the largest size the API allows. */
const bulkPageSize = 200;
/** A search reads up to this many pages. */
const searchMaxPages = 25;

export const deviceKeys = {
  all: ['devices'] as const,
  page: (filters: DeviceFilters, cursor: string | null) => ['devices', 'page', filters, cursor] as const,
  search: (filters: DeviceFilters, term: string) => ['devices', 'search', filters, term] as const,
  detail: (deviceId: string) => ['devices', 'detail', deviceId] as const,
};

function readPage(api: ApiClient, query: DeviceQuery): Promise<DeviceList> {
  return answer(api.GET('/api/v1/console/devices', { params: { query } }));
}

/**
 * Reads the list page by page, keeping the devices `keep` accepts, until the last page, `maxPages`, or `enough`
 * kept devices. `complete` says whether the last page was reached.
 */
async function readPages(
  api: ApiClient,
  filters: DeviceFilters,
  limits: { maxPages: number; enough?: number; keep?: (device: ConsoleDevice) => boolean },
): Promise<{ items: ConsoleDevice[]; complete: boolean }> {
  const items: ConsoleDevice[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: DeviceList = await readPage(api, deviceListParams({ ...filters, cursor, limit: bulkPageSize }));
    items.push(...(limits.keep ? page.items.filter(limits.keep) : page.items));
    cursor = page.nextCursor;
    pages += 1;
  } while (cursor && pages < limits.maxPages && items.length < (limits.enough ?? Number.POSITIVE_INFINITY));
  return { items, complete: cursor === null };
}

export function devicePageQueryOptions(api: ApiClient, filters: DeviceFilters, cursor: string | null) {
  return queryOptions({
    queryKey: deviceKeys.page(filters, cursor),
    queryFn: () => readPage(api, deviceListParams({ ...filters, cursor, limit: pageSize })),
    placeholderData: keepPreviousData,
  });
}

/** One page of the filtered list; idle while a search is shown instead. */
export function useDevicePage(filters: DeviceFilters, cursor: string | null, enabled: boolean) {
  const { api } = useSession();
  return useQuery({ ...devicePageQueryOptions(api, filters, cursor), enabled });
}

/** Devices whose name or user matches `term`, up to 200, read over the filtered pages. */
export function useDeviceSearch(filters: DeviceFilters, term: string, matches: (device: ConsoleDevice) => boolean) {
  const { api } = useSession();
  return useQuery({
    queryKey: deviceKeys.search(filters, term),
    queryFn: () => readPages(api, filters, { maxPages: searchMaxPages, enough: 200, keep: matches }),
    enabled: term !== '',
  });
}

export function deviceQueryOptions(api: ApiClient, deviceId: string) {
  return queryOptions({
    queryKey: deviceKeys.detail(deviceId),
    queryFn: () => answer(api.GET('/api/v1/console/devices/{deviceId}', { params: { path: { deviceId } } })),
  });
}

export function useDevice(deviceId: string) {
  const { api } = useSession();
  return useQuery(deviceQueryOptions(api, deviceId));
}
