/**
 * Risk overrides: a time-boxed level for one device, set by a full-access console user with a reason, whatever its
 * threats (docs/DATA-MODEL.md, "A device's risk level: one precedence").
 *
 * The override is on the device row (`override*` fields), so starting or ending it is one device write through the
 * seam: the effective `riskLevel` follows at once (version bump and nudge: Intune and Entra ID are told), and the
 * `device.override_started` / `_ended` events are outbox rows in the same transaction. Its end comes through the
 * due-time index: each override has an expiry row in the tenant's `indexHints` partition
 * (`o|{13-digit expiry ms}|{deviceId}`), written before the device row, and the tenant's `override-expiry` job is due
 * at the earliest of them. The job reads only the rows that are due (a RowKey range), ends those overrides, and makes
 * itself due at the next expiry: no scan of devices, and nothing but the tables holds the schedule, so overrides end
 * on time after a restart.
 */
import { z } from 'zod';
import { audited } from '../audit/auditLog.js';
import type { ConsolePrincipal } from '../auth/console.js';
import { statusOf, toError } from '../base/errors.js';
import { mapLimit } from '../base/mapLimit.js';
import { nudgeAfter } from '../devices/afterDeviceWrite.js';
import { devicePartitionKey, storedOverride, threatLevelOf, withThreatLevel, type Device } from '../devices/device.js';
import { mutateDevice, readDevice, type DeviceWrite } from '../devices/deviceRepository.js';
import { effectiveRiskLevel, riskLevelSchema } from '../domain/index.js';
import type { EventRecorder } from '../events/event.js';
import type { EventRuntime } from '../events/runtime.js';
import { HttpError } from '../http/problem.js';
import { markDue } from '../jobs/dueIndex.js';
import type { CorePorts } from '../ports.js';
import { odata, type TableStore } from '../storage/index.js';

/** The longest an override may last. */
export const maxOverrideDays = 30;

export const overrideBodySchema = z.strictObject({
  riskLevel: riskLevelSchema.describe("The level the device counts as while the override lasts, whatever its threats."),
  reason: z.string().trim().min(1).max(500).describe('Why (1 to 500 characters): shown on the device page and audited.'),
  expiresAt: z.iso
    .datetime({ offset: true })
    .describe('When the override ends (ISO 8601): in the future and at most 30 days ahead. Pushed within 5 minutes of it.'),
});
export type OverrideBody = z.output<typeof overrideBodySchema>;

export const overrideSchema = z
  .object({
    riskLevel: riskLevelSchema,
    reason: z.string(),
    expiresAt: z.string(),
    createdBy: z.string().describe('The console user who set it.'),
    createdAt: z.string(),
  })
  .describe('An active risk override.');
export type Override = z.output<typeof overrideSchema>;

export const overrideResponseSchema = z.object({ override: overrideSchema });

export const overrideParamsSchema = z.object({ deviceId: z.string().regex(/^[A-Za-z0-9-]{1,128}$/).describe('The device id.') });

/** Writing device rows with their events and nudges (the event runtime relays the events the writes record). */
export type OverrideDeps = Pick<CorePorts, 'tables' | 'clock' | 'log' | 'queues'> & {
  readonly events: EventRecorder & Pick<EventRuntime, 'prepare' | 'nudge'>;
};

/** The device's override while it is in force at `now`, as the console shows it. */
export function activeOverride(device: Device, now: Date): Override | undefined {
  const override = storedOverride(device);
  if (!override || Date.parse(override.expiresAt) <= now.getTime()) return undefined;
  return { riskLevel: override.riskLevel, reason: override.reason, expiresAt: override.expiresAt, createdBy: override.createdBy, createdAt: override.createdAt };
}

const expiryPrefix = 'o|';

function msKey(ms: number): string {
  return String(Math.max(0, Math.floor(ms))).padStart(13, '0');
}

/** The expiry row of an override: in the tenant's `indexHints` partition, ordered by expiry. */
export function expiryRowKey(expiresAtMs: number, deviceId: string): string {
  return `${expiryPrefix}${msKey(expiresAtMs)}|${deviceId}`;
}

function notFound(): HttpError {
  return new HttpError(404, 'There is no such device in your organization.');
}

function invalid(message: string): HttpError {
  return new HttpError(400, `expiresAt: ${message}`, { errors: [{ path: 'expiresAt', message }] });
}

/** The expiry as ms, or a 400 when it is not in the future or more than 30 days ahead. */
export function checkExpiry(expiresAt: string, now: Date): number {
  const ms = Date.parse(expiresAt);
  if (!Number.isFinite(ms)) throw invalid('not a date and time');
  if (ms <= now.getTime()) throw invalid('must be in the future');
  if (ms > now.getTime() + maxOverrideDays * 86_400_000) throw invalid(`must be at most ${maxOverrideDays} days ahead`);
  return ms;
}

/** Relays the events the writes recorded and nudges the devices whose level changed. */
async function afterWrites(deps: OverrideDeps, writes: readonly (DeviceWrite | undefined)[]): Promise<void> {
  await nudgeAfter(deps, writes);
  for (const write of writes) {
    // The override events are recorded even when the level stays: relay them whatever changed.
    if (write) deps.events.nudge(write.after.tenantId, 'devices', devicePartitionKey(write.after.tenantId, write.after.deviceId));
  }
}

async function deleteExpiryRow(tables: TableStore, tenantId: string, rowKey: string): Promise<void> {
  await tables
    .table('indexHints')
    .deleteEntity(tenantId, rowKey)
    .catch((caught: unknown) => {
      if (statusOf(caught) !== 404) throw caught;
    });
}

/**
 * Sets (or replaces) a device's override: audited; the expiry row and the job's due time first (so the end is never
 * missed), then the device row with its events; Intune and Entra ID are nudged when the effective level changes.
 */
export async function setOverride(deps: OverrideDeps, principal: ConsolePrincipal, deviceId: string, body: OverrideBody): Promise<Override> {
  const { tenantId } = principal;
  const id = deviceId.toLowerCase();
  const now = deps.clock.now();
  const expiresMs = checkExpiry(body.expiresAt, now);
  if (!(await readDevice(deps.tables, tenantId, id))) throw notFound();
  return audited(deps, principal, { action: 'device.override.set', target: id, request: body }, async () => {
    const override: Override = {
      riskLevel: body.riskLevel,
      reason: body.reason,
      expiresAt: new Date(expiresMs).toISOString(),
      createdBy: principal.name || principal.upn || principal.userId,
      createdAt: now.toISOString(),
    };
    await deps.tables.table('indexHints').upsertEntity({ partitionKey: tenantId, rowKey: expiryRowKey(expiresMs, id), deviceId: id, expiresAtMs: expiresMs }, 'Replace');
    await markDue(deps.tables, tenantId, 'override-expiry', expiresMs);
    await deps.events.prepare(tenantId, 'devices', devicePartitionKey(tenantId, id));
    let replaced: ReturnType<typeof storedOverride>;
    const write = await mutateDevice(
      deps.tables,
      tenantId,
      id,
      (current) => {
        replaced = storedOverride(current);
        return {
          ...current,
          threatRiskLevel: threatLevelOf(current),
          riskLevel: effectiveRiskLevel(threatLevelOf(current), override, now),
          overrideRiskLevel: override.riskLevel,
          overrideReason: override.reason,
          overrideExpiresAt: override.expiresAt,
          overrideCreatedBy: override.createdBy,
          overrideCreatedAt: override.createdAt,
          overrideEndedBy: undefined,
        };
      },
      undefined,
      now,
    );
    if (!write) throw notFound();
    await afterWrites(deps, [write]);
    const previous = replaced;
    if (previous && Date.parse(previous.expiresAt) !== expiresMs) {
      await deleteExpiryRow(deps.tables, tenantId, expiryRowKey(Date.parse(previous.expiresAt), id)).catch((caught: unknown) =>
        deps.log.warn(`Override expiry row not removed (the expiry job removes it): ${toError(caught).message}`),
      );
    }
    return {
      before: previous ? { riskLevel: previous.riskLevel, reason: previous.reason, expiresAt: previous.expiresAt } : null,
      after: { riskLevel: override.riskLevel, reason: override.reason, expiresAt: override.expiresAt, effectiveRiskLevel: write.after.riskLevel },
      override,
    };
  }).then((result) => result.override);
}

/** Ends a device's override now (audited): the device goes back to its threats' level. 404 when it has none. */
export async function endOverride(deps: OverrideDeps, principal: ConsolePrincipal, deviceId: string): Promise<void> {
  const { tenantId } = principal;
  const id = deviceId.toLowerCase();
  const device = await readDevice(deps.tables, tenantId, id);
  if (!device) throw notFound();
  if (!storedOverride(device)) throw new HttpError(404, 'The device has no risk override.');
  const endedBy = principal.name || principal.upn || principal.userId;
  await audited(deps, principal, { action: 'device.override.end', target: id }, async () => {
    const now = deps.clock.now();
    await deps.events.prepare(tenantId, 'devices', devicePartitionKey(tenantId, id));
    let ended: ReturnType<typeof storedOverride>;
    const write = await mutateDevice(
      deps.tables,
      tenantId,
      id,
      (current) => {
        ended = storedOverride(current);
        if (!ended) return undefined;
        return clearOverride(current, activeOverride(current, now) ? endedBy : 'expiry', now);
      },
      undefined,
      now,
    );
    await afterWrites(deps, [write]);
    const gone = ended;
    if (gone) await deleteExpiryRow(deps.tables, tenantId, expiryRowKey(Date.parse(gone.expiresAt), id));
    return {
      before: gone ? { riskLevel: gone.riskLevel, reason: gone.reason, expiresAt: gone.expiresAt } : null,
      after: write ? { effectiveRiskLevel: write.after.riskLevel } : null,
    };
  });
}

/** The row without its override, at its threats' level. */
function clearOverride(device: Device, endedBy: string, now: Date): Device {
  return withThreatLevel(
    {
      ...device,
      overrideRiskLevel: undefined,
      overrideReason: undefined,
      overrideExpiresAt: undefined,
      overrideCreatedBy: undefined,
      overrideCreatedAt: undefined,
      overrideEndedBy: endedBy,
    },
    threatLevelOf(device),
    now,
  );
}

const expiryRowSchema = z.object({ rowKey: z.string(), deviceId: z.string(), expiresAtMs: z.number() });

/** Expiry rows due by `untilMs`, oldest first (a RowKey range: only due rows are examined). */
async function dueExpiries(tables: TableStore, tenantId: string, untilMs: number, top?: number): Promise<z.output<typeof expiryRowSchema>[]> {
  const rows: z.output<typeof expiryRowSchema>[] = [];
  const pages = tables
    .table('indexHints')
    .listEntities({ queryOptions: { filter: odata`PartitionKey eq ${tenantId} and RowKey ge ${expiryPrefix} and RowKey lt ${`${expiryPrefix}${msKey(untilMs + 1)}`}` } })
    .byPage({ maxPageSize: top ?? 100 });
  for await (const page of pages) {
    for (const raw of page) {
      const parsed = expiryRowSchema.safeParse(raw);
      if (parsed.success) rows.push(parsed.data);
    }
    if (top !== undefined && rows.length >= top) break;
  }
  return top === undefined ? rows : rows.slice(0, top);
}

export interface OverrideExpiryRun {
  /** Overrides ended. */
  readonly ended: number;
  /** Expiry rows examined. */
  readonly examined: number;
  /** When the next override ends (the job's next due time), if any. */
  readonly nextDueMs?: number;
}

/**
 * The tenant's `override-expiry` job: ends every override whose expiry row is due (the device row decides: an override
 * replaced or ended meanwhile is left alone), deletes those rows, and makes the job due at the next expiry.
 */
export async function endExpiredOverrides(deps: Omit<OverrideDeps, 'events'> & { readonly events: Pick<EventRuntime, 'prepare' | 'nudge'> }, tenantId: string): Promise<OverrideExpiryRun> {
  const now = deps.clock.now();
  const due = await dueExpiries(deps.tables, tenantId, now.getTime());
  // Devices side by side: many overrides ending together (one set for a whole team) end within the run.
  const writes = await mapLimit(due, 16, async (row) => {
    await deps.events.prepare(tenantId, 'devices', devicePartitionKey(tenantId, row.deviceId));
    const write = await mutateDevice(
      deps.tables,
      tenantId,
      row.deviceId,
      (current) => {
        const override = storedOverride(current);
        if (!override || Date.parse(override.expiresAt) > now.getTime()) return undefined;
        return clearOverride(current, 'expiry', now);
      },
      undefined,
      now,
    );
    await deleteExpiryRow(deps.tables, tenantId, row.rowKey);
    return write;
  });
  await nudgeAfter(deps, writes);
  for (const write of writes) {
    if (write) deps.events.nudge(tenantId, 'devices', devicePartitionKey(tenantId, write.after.deviceId));
  }
  const next = await dueExpiries(deps.tables, tenantId, 9_999_999_999_998, 1);
  const nextDueMs = next[0]?.expiresAtMs;
  if (nextDueMs !== undefined) await markDue(deps.tables, tenantId, 'override-expiry', nextDueMs);
  return { ended: writes.filter((write) => write !== undefined).length, examined: due.length, ...(nextDueMs !== undefined ? { nextDueMs } : {}) };
}
