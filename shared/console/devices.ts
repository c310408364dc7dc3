/**
 * The console's view of devices: a filtered, paged list and one device's detail (its open threats and what Intune
 * and Entra were last told). Every read is confined to the caller's tenant partition; the device credential's hash
 * never leaves this module.
 */
import { z } from 'zod';
import { deviceStatusSchema, riskLevelSchema } from '../domain/index.js';
import { deviceFromEntity, devicePartitionKey, platformSchema, tenantDevicesFilter, type Device } from '../devices/device.js';
import { readOpenThreatCounts } from '../devices/threatRows.js';
import { HttpError } from '../http/problem.js';
import { anyEntity, InvalidCursor, listAll, listPage, odata, readEntity, type TableStore } from '../storage/index.js';
import { activeOverride, overrideSchema } from './overrides.js';

export const maxDevicePageSize = 200;
export const defaultDevicePageSize = 50;

export const deviceListQuerySchema = z.object({
  status: deviceStatusSchema.optional().describe('Only devices in this status.'),
  riskLevel: riskLevelSchema.optional().describe('Only devices at this risk level.'),
  platform: platformSchema.optional().describe('Only devices of this platform.'),
  attestation: z
    .enum(['verified', 'failed', 'absent', 'not-checked'])
    .optional()
    .describe("Only devices whose last activation's attestation verdict is this one (agent trust)."),
  cursor: z.string().min(1).max(8192).optional().describe('`nextCursor` of the previous page.'),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(maxDevicePageSize)
    .default(defaultDevicePageSize)
    .describe(`Devices per page, 1..${maxDevicePageSize} (default ${defaultDevicePageSize}); a page may hold fewer.`),
});
export type DeviceListQuery = z.output<typeof deviceListQuerySchema>;

/** A device as the console shows it (no credential material, no report bookkeeping). */
export const consoleDeviceSchema = z.object({
  deviceId: z.string().describe('Our device id: the Intune managed device id, lower case.'),
  intuneDeviceId: z.string(),
  azureAdDeviceId: z.string().nullable().describe("The Entra device's deviceId, when Intune knows it."),
  deviceName: z.string(),
  platform: platformSchema,
  osVersion: z.string(),
  appVersion: z.string().nullable(),
  userId: z.string(),
  userPrincipalName: z.string(),
  status: deviceStatusSchema,
  statusChangedAt: z.string(),
  discoveredAt: z.string(),
  activatedAt: z.string().nullable(),
  deactivatedAt: z.string().nullable(),
  deactivationReason: z.enum(['left-groups', 'left-intune', 'admin']).nullable(),
  lastCheckInAt: z.string().nullable(),
  lastReportAt: z.string().nullable(),
  riskLevel: riskLevelSchema,
  activeThreatCount: z.number().int().describe('How many threats are open on the device now.'),
  version: z.number().int().describe('Bumped on every change of what Intune or Entra should be told.'),
  syncPending: z.boolean().describe('True while the current version is not yet pushed to every enforcement target.'),
  deadLetteredVersion: z.number().int().nullable().describe('A version whose push was dead-lettered: visibly out of sync.'),
});
export type ConsoleDevice = z.infer<typeof consoleDeviceSchema>;

export const deviceListSchema = z.object({
  items: z.array(consoleDeviceSchema),
  nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page.'),
});

export const activeThreatSchema = z.object({
  threatId: z.string(),
  classification: z.string(),
  name: z.string().nullable(),
  packageName: z.string().nullable(),
  detectedAt: z.string(),
  firstSeenAt: z.string().nullable(),
  lastSeenAt: z.string().nullable(),
});

const targetResult = z.enum(['sent', 'skipped', 'device-gone', 'error']).nullable();

export const deviceDetailSchema = z.object({
  device: consoleDeviceSchema,
  activeThreats: z.array(activeThreatSchema),
  override: overrideSchema
    .optional()
    .describe("The device's risk override, while one is in force: its level is the device's, whatever its threats."),
  trust: z
    .object({
      keyBound: z.boolean().describe('Whether the device credential is bound to a device key (DPoP).'),
      attestation: z
        .object({
          format: z.enum(['android-key', 'apple-app-attest']).nullable(),
          status: z.enum(['verified', 'failed', 'absent', 'not-checked']),
          reason: z.string().optional(),
          securityLevel: z.string().optional(),
          checkedAt: z.string().nullable(),
        })
        .describe("The last activation's platform attestation verdict (`not-checked` for a device activated before verdicts were recorded)."),
    })
    .describe('Agent trust: the key binding and the attestation verdict.'),
  enforcement: z.object({
    version: z.number().int(),
    syncPending: z.boolean(),
    deadLetteredVersion: z.number().int().nullable(),
    intune: z
      .object({ state: z.string().nullable(), version: z.number().int().nullable(), at: z.string().nullable(), result: targetResult })
      .describe("What Intune's partnerReportedThreatState was last told, for which version, when, and how it went."),
    entra: z
      .object({
        attribute: z.string().nullable(),
        objectId: z.string().nullable(),
        value: z.string().nullable(),
        version: z.number().int().nullable(),
        at: z.string().nullable(),
        result: targetResult,
      })
      .describe('What the Entra device extension attribute was last told.'),
  }),
});
export type DeviceDetail = z.infer<typeof deviceDetailSchema>;

export const deviceIdParamsSchema = z.object({
  deviceId: z.string().min(1).max(128).describe('The device id (the Intune managed device id).'),
});

export function toConsoleDevice(device: Device, activeThreatCount: number): ConsoleDevice {
  return {
    deviceId: device.deviceId,
    intuneDeviceId: device.intuneDeviceId,
    azureAdDeviceId: device.azureAdDeviceId ?? null,
    deviceName: device.deviceName,
    platform: device.platform,
    osVersion: device.osVersion,
    appVersion: device.appVersion ?? null,
    userId: device.userId,
    userPrincipalName: device.userPrincipalName,
    status: device.status,
    statusChangedAt: device.statusChangedAt,
    discoveredAt: device.discoveredAt,
    activatedAt: device.activatedAt ?? null,
    deactivatedAt: device.deactivatedAt ?? null,
    deactivationReason: device.deactivationReason ?? null,
    lastCheckInAt: device.lastCheckInAt ?? null,
    lastReportAt: device.lastReportAt ?? null,
    riskLevel: device.riskLevel,
    activeThreatCount,
    version: device.version,
    syncPending: device.syncPending,
    deadLetteredVersion: device.deadLetteredVersion ?? null,
  };
}

/** One page of the tenant's devices, filtered. A cursor this query did not issue is a 400. */
export async function listConsoleDevices(
  tables: TableStore,
  tenantId: string,
  query: DeviceListQuery,
): Promise<{ items: ConsoleDevice[]; nextCursor: string | null }> {
  const clauses = [tenantDevicesFilter(tenantId)];
  if (query.status) clauses.push(odata`status eq ${query.status}`);
  if (query.riskLevel) clauses.push(odata`riskLevel eq ${query.riskLevel}`);
  if (query.platform) clauses.push(odata`platform eq ${query.platform}`);
  if (query.attestation) clauses.push(odata`attestationStatus eq ${query.attestation}`);
  try {
    const page = await listPage(tables.table('devices'), {
      schema: anyEntity,
      filter: clauses.join(' and '),
      cursor: query.cursor ?? null,
      limit: query.limit,
    });
    const devices = page.items.map((entity) => deviceFromEntity(entity));
    // The count is kept with the threat rows it counts (their `s|` row), not on the device row.
    const counts = await readOpenThreatCounts(tables, tenantId, devices.map((device) => device.deviceId));
    return {
      items: devices.map((device) => toConsoleDevice(device, counts.get(device.deviceId) ?? 0)),
      nextCursor: page.nextCursor,
    };
  } catch (caught) {
    if (caught instanceof InvalidCursor) {
      throw new HttpError(400, 'The cursor is not valid for this list; start again without a cursor.', {
        errors: [{ path: 'cursor', message: 'not a cursor issued for this query' }],
      });
    }
    throw caught;
  }
}

const threatRowSchema = z.looseObject({
  threatId: z.string(),
  classification: z.string(),
  name: z.string().optional(),
  packageName: z.string().optional(),
  detectedAt: z.string(),
  firstSeenAt: z.string().optional(),
  lastSeenAt: z.string().optional(),
  resolvedAt: z.string().optional(),
});

/** Device ids are Intune managed device ids; anything else cannot name a row of ours. */
const deviceIdPattern = /^[A-Za-z0-9-]{1,128}$/;

function notFound(): HttpError {
  return new HttpError(404, 'There is no such device in your organization.');
}

/** One device of the tenant with its open threats and enforcement state; 404 when the tenant has no such device. */
export async function getConsoleDevice(tables: TableStore, tenantId: string, deviceId: string, now: Date = new Date()): Promise<DeviceDetail> {
  if (!deviceIdPattern.test(deviceId)) throw notFound();
  const id = deviceId.toLowerCase();
  const entity = await readEntity(tables.table('devices'), anyEntity, devicePartitionKey(tenantId, id), id);
  if (!entity) throw notFound();
  const device = deviceFromEntity(entity);

  const prefix = `t|${id}|`;
  const activeThreats: DeviceDetail['activeThreats'] = [];
  // `}` follows `|`: every RowKey that starts with the prefix sorts between the two bounds.
  const filter = odata`PartitionKey eq ${devicePartitionKey(tenantId, id)} and RowKey ge ${prefix} and RowKey lt ${`t|${id}}`}`;
  for await (const threat of listAll(tables.table('threats'), { schema: threatRowSchema, filter })) {
    if (threat.resolvedAt !== undefined) continue;
    activeThreats.push({
      threatId: threat.threatId,
      classification: threat.classification,
      name: threat.name ?? null,
      packageName: threat.packageName ?? null,
      detectedAt: threat.detectedAt,
      firstSeenAt: threat.firstSeenAt ?? null,
      lastSeenAt: threat.lastSeenAt ?? null,
    });
  }

  const override = activeOverride(device, now);
  return {
    device: toConsoleDevice(device, activeThreats.length),
    activeThreats,
    ...(override ? { override } : {}),
    trust: {
      keyBound: device.keyThumbprint !== undefined,
      attestation: {
        format: device.attestationFormat ?? null,
        status: device.attestationStatus ?? 'not-checked',
        ...(device.attestationReason !== undefined ? { reason: device.attestationReason } : {}),
        ...(device.attestationSecurityLevel !== undefined ? { securityLevel: device.attestationSecurityLevel } : {}),
        checkedAt: device.attestationCheckedAt ?? null,
      },
    },
    enforcement: {
      version: device.version,
      syncPending: device.syncPending,
      deadLetteredVersion: device.deadLetteredVersion ?? null,
      intune: {
        state: device.intuneState ?? null,
        version: device.intuneVersion ?? null,
        at: device.intuneAt ?? null,
        result: device.intuneResult ?? null,
      },
      entra: {
        attribute: device.entraAttribute ?? null,
        objectId: device.entraObjectId ?? null,
        value: device.entraValue ?? null,
        version: device.entraVersion ?? null,
        at: device.entraAt ?? null,
        result: device.entraResult ?? null,
      },
    },
  };
}
