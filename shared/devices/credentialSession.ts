/**
 * The device's credential on its `s|` row (threatRows.ts). Every change that ends a credential (re-activation,
 * deactivation) writes the `s|` row first (`startCredentialSession`, `revokeCredentials`). A report's batch is
 * conditioned on the `s|` ETag it checked the credential against, so a report commits only while its credential is
 * still the device's current one; this is what lets an instance accept a report it has the state for with that
 * single write (see deviceAuth.ts).
 */
import type { TransactionAction } from '@azure/data-tables';
import { submitInBatches } from '../storage/batch.js';
import type { TableStore } from '../storage/tableStore.js';
import { credentialSession } from './credential.js';
import { devicePartitionKey } from './device.js';
import { threatStateKey, type ThreatStateCache } from './threatCache.js';
import { markerEntity, sequenceRowKey, type SequenceMarker } from './threatRows.js';

/**
 * Starts a new credential session for a device: the `s|` row records the new credential's hash and an empty
 * sequence (merged, so the count of open threats stays with the threat rows it counts). Written before the device
 * row takes the new credential, so the old credential can no longer commit a report from that moment on.
 */
export async function startCredentialSession(
  tables: TableStore,
  cache: ThreatStateCache,
  tenantId: string,
  deviceId: string,
  credentialHash: string,
  now: string,
): Promise<void> {
  cache.delete(threatStateKey(tenantId, deviceId));
  const marker = { lastSequence: -1, recentReportIds: [], session: credentialSession(credentialHash), credentialHash };
  await tables.table('threats').upsertEntity(markerEntity(tenantId, deviceId, marker, now), 'Merge');
}

/**
 * Revokes the credentials of devices about to be deactivated: their `s|` rows record no credential, so a report
 * already past authentication can no longer commit. Written before the device rows change.
 */
export async function revokeCredentials(tables: TableStore, tenantId: string, deviceIds: readonly string[], now: string): Promise<void> {
  if (deviceIds.length === 0) return;
  const actions = deviceIds.map(
    (deviceId): TransactionAction => ['upsert', { partitionKey: devicePartitionKey(tenantId, deviceId), rowKey: sequenceRowKey(deviceId), deviceId, credentialHash: '', updatedAt: now }, 'Merge'],
  );
  await submitInBatches(tables.table('threats'), actions);
}

/** Whether a report with this credential may commit against the `s|` row as read (unrecorded: the device row decided). */
export function credentialMayCommit(marker: SequenceMarker, credentialHash: string): boolean {
  return marker.credentialHash === undefined || marker.credentialHash === credentialHash;
}

/** Whether the credential is the one this instance last saw recorded on the device's `s|` row. */
export function cachedCredentialIs(cache: ThreatStateCache, tenantId: string, deviceId: string, credentialHash: string): boolean {
  const recorded = cache.get(threatStateKey(tenantId, deviceId))?.marker.credentialHash;
  return recorded !== undefined && recorded !== '' && recorded === credentialHash;
}
