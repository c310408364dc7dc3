/**
 * The device row (docs/DATA-MODEL.md, "Device row"): its schema, its Table Storage form, and the one rule every writer
 * follows: a change to what Intune or Entra should be told bumps `version` and marks the device `syncPending`.
 */
import { odata } from '@azure/data-tables';
import { z } from 'zod';
import { deviceStatusSchema, effectiveRiskLevel, riskLevelSchema, type ActiveOverride, type DeviceStatus, type RiskLevel } from '../domain/index.js';

export const platformSchema = z.enum(['ios', 'android']);
export type Platform = z.infer<typeof platformSchema>;

const optionalText = z.string().optional();
const stringOrNull = z.preprocess((value) => (value === null ? undefined : value), z.string().optional());

export const deviceSchema = z.object({
  tenantId: z.string(),
  deviceId: z.string(),
  intuneDeviceId: z.string(),
  azureAdDeviceId: stringOrNull,
  deviceName: z.string().default(''),
  platform: platformSchema,
  osVersion: z.string().default(''),
  appVersion: optionalText,
  userId: z.string(),
  userPrincipalName: z.string().default(''),
  status: deviceStatusSchema,
  statusChangedAt: z.string(),
  discoveredAt: z.string(),
  activatedAt: optionalText,
  deactivatedAt: optionalText,
  deactivationReason: z.enum(['left-groups', 'left-intune', 'admin']).optional(),
  lastCheckInAt: optionalText,
  credentialHash: optionalText,
  credentialIssuedAt: optionalText,
  /** When the current credential stops working (`DEVICE_CREDENTIAL_DAYS` after its issue); absent on older rows. */
  credentialExpiresAt: optionalText,
  /** The hash of the credential activation issued, while a silent rotation has replaced it (reports' session). */
  credentialSessionHash: optionalText,
  /** The credential the last silent rotation replaced, accepted until `previousCredentialUntil` (24 h). */
  previousCredentialHash: optionalText,
  previousCredentialUntil: optionalText,
  /** The nonce the current credential was derived with from the previous one (credential.ts). */
  credentialRotationNonce: optionalText,
  /**
   * The RFC 7638 SHA-256 thumbprint (base64url) of the device key the credential is bound to (Agent trust, DPoP);
   * absent: a bearer credential (a device activated without a key).
   */
  keyThumbprint: optionalText,
  /** The platform attestation verdict of the last activation (docs/AGENT.md). */
  attestationFormat: z.enum(['android-key', 'apple-app-attest']).optional(),
  attestationStatus: z.enum(['verified', 'failed', 'absent', 'not-checked']).optional(),
  attestationReason: optionalText,
  attestationSecurityLevel: optionalText,
  attestationCheckedAt: optionalText,
  lastSequence: z.number().int().default(-1),
  lastReportAt: optionalText,
  hasReport: z.boolean().default(false),
  /** The effective level (what Intune and Entra ID are told): an active override's, else `threatRiskLevel`. */
  riskLevel: riskLevelSchema.default('none'),
  /** The open threats' level (app rules, then the policy); absent on rows written before overrides, then `riskLevel`. */
  threatRiskLevel: riskLevelSchema.optional(),
  /** A risk override (docs/DATA-MODEL.md, "A device's risk level"): in force while `overrideExpiresAt` is ahead. */
  overrideRiskLevel: riskLevelSchema.optional(),
  overrideReason: optionalText,
  overrideExpiresAt: optionalText,
  overrideCreatedBy: optionalText,
  overrideCreatedAt: optionalText,
  /** Who ended the last override (`expiry`, or the user's name): its `device.override_ended` event says so. */
  overrideEndedBy: optionalText,
  version: z.number().int().default(1),
  intuneState: optionalText,
  intuneVersion: z.number().int().optional(),
  intuneAt: optionalText,
  intuneResult: z.enum(['sent', 'skipped', 'device-gone', 'error']).optional(),
  entraObjectId: optionalText,
  entraValue: optionalText,
  entraAttribute: optionalText,
  entraVersion: z.number().int().optional(),
  entraAt: optionalText,
  entraResult: z.enum(['sent', 'skipped', 'device-gone', 'error']).optional(),
  syncPending: z.boolean().default(false),
  deadLetteredVersion: z.number().int().optional(),
  /** When the current nudge went out (or the later time it was deferred to): keys the pending index row. */
  nudgedAt: optionalText,
  /** The layout of the index rows beside this row (`deviceIndexLayout`); absent on rows written before they existed. */
  indexed: z.number().int().optional(),
  /** 1 once the row is counted in the tenant's device counters (deviceCounters.ts); absent on rows written before. */
  counted: z.number().int().optional(),
  /** The enrollment groups (display names, sorted) through which discovery last found the device's user. */
  enrollmentGroups: z.preprocess(
    (value) => (typeof value === 'string' ? parseGroupList(value) : value),
    z.array(z.string()).optional(),
  ),
  etag: z.string().optional(),
});

export type Device = z.infer<typeof deviceSchema>;

/** The stored form of `enrollmentGroups` is a JSON array (Table Storage has no array type). */
function parseGroupList(text: string): string[] | undefined {
  try {
    const parsed = z.array(z.string()).safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A tenant's devices are spread over partitions named by the tenant and the first two characters of the device id
 * (`{tenantId}|{xx}`: 256 partitions for Intune's GUID ids). Writes to one big partition serialise on one server
 * (and Azurite scans a partition on every insert), so a 100k-device tenant's first sync would crawl; spread, its
 * batches commit side by side. Every key still starts with the tenant id, so no device query can leave the tenant,
 * and because the suffix is the id's own prefix, (PartitionKey, RowKey) order is device id order across them all.
 */
export function devicePartitionKey(tenantId: string, deviceId: string): string {
  return `${tenantId}|${deviceId.slice(0, 2)}`;
}

/**
 * Every partition suffix a device with a credential can have: device ids that hold a credential are lower-case
 * GUIDs (`parseCredential`), so their first two characters are two hex digits. Threat rows exist only for those.
 */
export const credentialedDeviceBuckets: readonly string[] = Array.from({ length: 256 }, (_, n) => n.toString(16).padStart(2, '0'));

/**
 * The filter for every device row of a tenant (`}` is the character after `|`): its device partitions, below the
 * rows beside the device rows (RowKeys from `~`: index and event rows, see sidecar.ts).
 */
export function tenantDevicesFilter(tenantId: string): string {
  return devicePartitionsFilter(`${tenantId}|`, `${tenantId}}`);
}

/** The filter for the device rows of the partitions from `from` up to (not including) `to`. */
export function devicePartitionsFilter(from: string, to: string): string {
  return odata`PartitionKey ge ${from} and PartitionKey lt ${to} and RowKey lt ${'~'}`;
}

/** The tenant a device partition belongs to. */
export function tenantOfDevicePartition(partitionKey: string): string {
  const bar = partitionKey.indexOf('|');
  return bar < 0 ? partitionKey : partitionKey.slice(0, bar);
}

/** A Table Storage entity from a device (PartitionKey = `devicePartitionKey`, RowKey = device id). */
export function deviceToEntity(device: Device): Record<string, unknown> & { partitionKey: string; rowKey: string } {
  const { tenantId, deviceId, etag: _etag, ...rest } = device;
  const entity: Record<string, unknown> & { partitionKey: string; rowKey: string } = {
    partitionKey: devicePartitionKey(tenantId, deviceId),
    rowKey: deviceId,
  };
  for (const [key, value] of Object.entries(rest)) {
    if (value !== undefined) entity[key] = Array.isArray(value) ? JSON.stringify(value) : value;
  }
  return entity;
}

/** A device from a Table Storage entity; throws if the row is not a device. */
export function deviceFromEntity(entity: Readonly<Record<string, unknown>>): Device {
  const partitionKey = typeof entity.partitionKey === 'string' ? entity.partitionKey : '';
  return deviceSchema.parse({ ...entity, tenantId: tenantOfDevicePartition(partitionKey), deviceId: entity.rowKey });
}

/** The device's override as stored (active or not yet cleared), or undefined. */
export function storedOverride(device: Device): (ActiveOverride & { reason: string; createdBy: string; createdAt: string }) | undefined {
  if (device.overrideRiskLevel === undefined || device.overrideExpiresAt === undefined) return undefined;
  return {
    riskLevel: device.overrideRiskLevel,
    expiresAt: device.overrideExpiresAt,
    reason: device.overrideReason ?? '',
    createdBy: device.overrideCreatedBy ?? '',
    createdAt: device.overrideCreatedAt ?? '',
  };
}

/** The open threats' half of the device's grade (rows written before overrides existed keep it in `riskLevel`). */
export function threatLevelOf(device: Pick<Device, 'threatRiskLevel' | 'riskLevel'>): RiskLevel {
  return device.threatRiskLevel ?? device.riskLevel;
}

/** The device with a new threats' level, and its effective level under its override at `now` (one precedence). */
export function withThreatLevel(device: Device, threatRiskLevel: RiskLevel, now: Date): Device {
  return { ...device, threatRiskLevel, riskLevel: effectiveRiskLevel(threatRiskLevel, storedOverride(device), now) };
}

/** What the enforcement targets depend on. */
export function enforcementInput(device: Pick<Device, 'status' | 'hasReport' | 'riskLevel'>): {
  status: DeviceStatus;
  hasReport: boolean;
  riskLevel: RiskLevel;
} {
  return { status: device.status, hasReport: device.hasReport, riskLevel: device.riskLevel };
}

/**
 * Applies `next` over `current`: when what Intune or Entra should be told changes (status, report presence, risk),
 * the version is bumped and the device marked `syncPending`. Returns whether a nudge is due.
 */
export function withVersionRule(current: Device | undefined, next: Device): { device: Device; nudge: boolean } {
  if (!current) return { device: { ...next, version: Math.max(next.version, 1), syncPending: true }, nudge: true };
  const before = enforcementInput(current);
  const after = enforcementInput(next);
  const changed =
    before.status !== after.status || before.hasReport !== after.hasReport || before.riskLevel !== after.riskLevel;
  if (!changed) return { device: { ...next, version: current.version }, nudge: false };
  return { device: { ...next, version: current.version + 1, syncPending: true, deadLetteredVersion: undefined }, nudge: true };
}
