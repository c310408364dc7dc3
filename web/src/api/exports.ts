/**
 * CSV exports (GET /api/v1/console/devices/export, GET /api/v1/console/audit-log/export): read with the signed-in
 * user's token and handed to the browser as a download under the file name the service gave it.
 */
import { toApiError, type ApiClient } from './client.js';
import { deviceListParams, type DeviceFilters } from './devices.js';

/** The file name of a `Content-Disposition: attachment; filename="..."` header, else `fallback`. */
export function fileNameOf(disposition: string | null, fallback: string): string {
  const match = /filename="([^"]+)"/.exec(disposition ?? '');
  return match?.[1] ?? fallback;
}

export function save(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.appendChild(link);
  link.click();
  link.remove();
  // The download has started from the object URL: let the browser free it afterwards.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Downloads every device matching the list's filters as CSV. */
export async function downloadDevicesCsv(api: ApiClient, filters: DeviceFilters): Promise<void> {
  const { status, riskLevel, platform, attestation } = deviceListParams(filters);
  const query = {
    format: 'csv' as const,
    ...(status ? { status } : {}),
    ...(riskLevel ? { riskLevel } : {}),
    ...(platform ? { platform } : {}),
    ...(attestation ? { attestation } : {}),
  };
  const result = await api.GET('/api/v1/console/devices/export', { params: { query }, parseAs: 'blob' });
  if (result.error !== undefined || !result.response.ok) throw toApiError(result.response.status, result.error);
  save(result.data ?? new Blob(), fileNameOf(result.response.headers.get('content-disposition'), 'devices.csv'));
}

/** Downloads the whole audit log as CSV (full access). */
export async function downloadAuditCsv(api: ApiClient): Promise<void> {
  const result = await api.GET('/api/v1/console/audit-log/export', { params: { query: { format: 'csv' } }, parseAs: 'blob' });
  if (result.error !== undefined || !result.response.ok) throw toApiError(result.response.status, result.error);
  save(result.data ?? new Blob(), fileNameOf(result.response.headers.get('content-disposition'), 'audit-log.csv'));
}
