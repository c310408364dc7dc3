/**
 * Offboarding a tenant (`DELETE /api/v1/provider/tenants/{tenantId}`): a resumable job on the `tenant-jobs` queue.
 *
 * Starting it marks the tenant `offboarding` (from then on its console, agent and feed requests are refused), writes
 * the job's progress row (shared/tenants/offboardingState.ts) and the provider audit entry, and queues the first run.
 * Each run holds the progress row's lease, does a bounded piece of work, records how far it got and queues the next
 * run, in four phases:
 * 1. `deactivate`: the tenant's devices in device id order, 100 at a time: Intune told `deactivated` (where the
 *    partner path is on, within the tenant's Intune write budget; a 429 waits for its Retry-After) and the Entra
 *    attribute cleared (where one was written). A device gone from Intune or Entra ID (404) is done; one refused for
 *    good after 5 runs is counted as failed, so a tenant that revoked consent is still removed.
 * 2. `stop`: its webhooks disabled and its due rows (the job schedule, the event relay's) removed.
 * 3. `delete`: every row it owns, table by table, by key range (docs/DATA-MODEL.md, "Offboarding"): every partition
 *    of a tenant starts with its id, so `PartitionKey ge '{id}' and PartitionKey lt '{id}}'` holds them all. Rows are
 *    read a page at a time and deleted in entity group transactions of 100; nothing needs a cursor (what is deleted
 *    is gone from the next read), so a run that stops in the middle loses nothing.
 * 4. `finish`: the due rows again (in case a job slipped one in), the tenant row, the provider index rows, the
 *    audit entry of completion, and the progress row last.
 * A run that throws is delivered again by the queue; a run that finds another holding the lease puts itself back for
 * when that lease ends, so a crashed run's work is picked up.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { statusOf, toError } from '../base/errors.js';
import { mapLimit } from '../base/mapLimit.js';
import type { CorePorts } from '../ports.js';
import { sendBatched, type BatchOutcome, type BatchRequest } from '../graph/graphBatch.js';
import { listPage, odata, readEntity, tableNames, type Page, type StoredEntity, type TableName, type TableStore, type TransactionAction } from '../storage/index.js';
import { deviceFromEntity, type Device } from '../devices/device.js';
import type { WriteBudget } from '../compliance/writeBudget.js';
import { readConnectorSettings } from '../tenants/tenantConfig.js';
import { getTenant, markTenantOffboarding } from '../tenants/tenantRepository.js';
import { readTenantIndex, removeTenantIndex, updateTenantIndex } from '../tenants/providerIndex.js';
import { offboardingPartition, offboardingRowSchema, progressOf, readOffboarding, type OffboardingProgress, type OffboardingRow } from '../tenants/offboardingState.js';
import { auditRowKey } from '../audit/auditLog.js';
import { providerActorKindSchema, recordProviderAudit, type ProviderAuditActor } from '../audit/providerAudit.js';
import { jobKinds, removeDue } from '../jobs/dueIndex.js';
import { backfillPartition, backfillRowKey } from '../jobs/backfill.js';
import { offboardJobMessage, tenantJobsQueueName } from '../jobs/messages.js';
import { relayShard } from '../events/dueRows.js';
import { currentTraceparent } from '../telemetry/index.js';
import { HttpError } from '../http/problem.js';

export type OffboardingDeps = Pick<CorePorts, 'tables' | 'clock' | 'log' | 'graph' | 'queues'> & { readonly intuneBudget: WriteBudget };

/** Devices handled per chunk of the deactivation. */
export const deviceChunk = 100;
/** Rows a run deletes before it hands over to the next run (a run stays well inside the function's time limit). */
export const rowsPerRun = 5_000;
/** Runs that may fail on one chunk of devices before its failing devices are counted as failed and passed. */
export const maxChunkAttempts = 5;
/** How long a run holds the job (its runs are bounded to a few minutes at most). */
export const runLeaseMs = 5 * 60_000;

/** The tables emptied by the `delete` phase, in order; `tenants` (the tenant row) last, in `finish`. */
export const offboardedTables: readonly TableName[] = tableNames.filter(
  (name) => name !== 'tenants' && name !== 'providerTenants' && name !== 'providerUsage' && name !== 'providerAudit',
);

const actorSchema = z.object({ kind: providerActorKindSchema, id: z.string(), name: z.string() });

function parseActor(text: string): ProviderAuditActor {
  try {
    const parsed = actorSchema.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through
  }
  return { kind: 'service', id: 'unknown', name: 'Unknown' };
}

function table(tables: TableStore) {
  return tables.table('providerTenants');
}

function rowEntity(tenantId: string, row: OffboardingRow): Record<string, unknown> & { partitionKey: string; rowKey: string } {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) if (value !== undefined) fields[key] = value;
  return { partitionKey: offboardingPartition, rowKey: tenantId, ...fields };
}

async function queueRun(deps: Pick<CorePorts, 'queues'>, tenantId: string, step: number, at?: Date, waits?: number): Promise<void> {
  await deps.queues(tenantJobsQueueName).send([
    offboardJobMessage({ job: 'offboard', tenantId, step, ...(waits ? { waits } : {}), traceparent: currentTraceparent() }, at),
  ]);
}

/**
 * Starts offboarding the tenant, or answers the offboarding already under way (a second DELETE gets the same job).
 * 404 when the tenant is not provisioned (or already removed).
 */
export async function startOffboarding(deps: OffboardingDeps, tenantId: string, actor: ProviderAuditActor): Promise<OffboardingProgress> {
  const id = tenantId.toLowerCase();
  const existing = await readOffboarding(deps.tables, id);
  if (existing) {
    await resumeIfStalled(deps, id, existing);
    return progressOf(existing);
  }
  const tenant = await getTenant(deps.tables, id);
  if (!tenant) throw new HttpError(404, `Tenant ${id} is not provisioned.`);
  const now = deps.clock.now();
  const index = await readTenantIndex(deps.tables, id);
  const auditKey = auditRowKey(now);
  const row: OffboardingRow = {
    id: `ob-${now.getTime()}-${randomBytes(6).toString('hex')}`,
    tenantName: tenant.displayName,
    phase: 'deactivate',
    startedAt: now.toISOString(),
    updatedAt: now.toISOString(),
    actor: JSON.stringify(actor),
    auditKey,
    devicesTotal: index?.devicesTotal ?? 0,
    devicesDone: 0,
    devicesFailed: 0,
    attempts: 0,
    tableIndex: 0,
    rowsDeleted: 0,
    step: 0,
  };
  try {
    await table(deps.tables).createEntity(rowEntity(id, row));
  } catch (caught) {
    // Another DELETE started it first: answer that one.
    if (statusOf(caught) !== 409) throw caught;
    const raced = await readOffboarding(deps.tables, id);
    if (!raced) throw caught;
    return progressOf(raced);
  }
  // The audit entry first, then the status: a stop in between leaves a job that the next DELETE or GET resumes.
  await recordProviderAudit(deps.tables, {
    at: now,
    action: 'tenant.offboard.start',
    tenantId: id,
    tenantName: tenant.displayName,
    actor,
    detail: `Offboarding ${row.id} started.`,
    rowKey: auditKey,
  });
  await markTenantOffboarding(deps.tables, id);
  await updateTenantIndex(deps.tables, id, { status: 'offboarding', displayName: tenant.displayName }, now);
  await queueRun(deps, id, 0);
  return progressOf(row);
}

/** The job's progress while the tenant is being offboarded (undefined otherwise); a stalled job is queued again. */
export async function offboardingProgress(deps: OffboardingDeps, tenantId: string): Promise<OffboardingProgress | undefined> {
  const row = await readOffboarding(deps.tables, tenantId);
  if (!row) return undefined;
  await resumeIfStalled(deps, tenantId.toLowerCase(), row);
  return progressOf(row);
}

/** A job that has not moved for longer than a run may take (its messages lost) is queued again. */
async function resumeIfStalled(deps: OffboardingDeps, tenantId: string, row: OffboardingRow): Promise<void> {
  const now = deps.clock.now().getTime();
  const idleMs = now - Date.parse(row.updatedAt);
  if (idleMs < runLeaseMs * 2 || (row.leaseUntil ?? 0) > now) return;
  try {
    await queueRun(deps, tenantId, row.step, undefined, Math.floor(now / 60_000));
  } catch (caught) {
    deps.log.warn(`Offboarding ${row.id}: could not queue its next run: ${toError(caught).message}`);
  }
}

export type OffboardRunResult =
  | { readonly status: 'done' }
  | { readonly status: 'continued'; readonly phase: string; readonly at?: Date }
  | { readonly status: 'busy' }
  | { readonly status: 'none' };

interface Held {
  row: OffboardingRow;
  etag: string;
  holder: string;
}

async function acquire(deps: OffboardingDeps, tenantId: string): Promise<Held | 'busy' | 'none'> {
  const current = await readOffboarding(deps.tables, tenantId);
  if (!current) return 'none';
  const now = deps.clock.now().getTime();
  if (current.holder && (current.leaseUntil ?? 0) > now) return 'busy';
  const holder = randomUUID();
  const { partitionKey: _p, rowKey: _r, etag, timestamp: _t, ...fields } = current;
  const row: OffboardingRow = { ...fields, holder, leaseUntil: now + runLeaseMs };
  try {
    const result = await table(deps.tables).updateEntity(rowEntity(tenantId, row), 'Replace', { etag });
    return { row, etag: result.etag ?? '', holder };
  } catch (caught) {
    if (statusOf(caught) === 412 || statusOf(caught) === 404) return 'busy';
    throw caught;
  }
}

/** Records progress (keeping the lease); throws when the lease was lost, so the other run's work stands. */
async function save(deps: OffboardingDeps, tenantId: string, held: Held, changes: Partial<OffboardingRow>): Promise<void> {
  const row: OffboardingRow = { ...held.row, ...changes, updatedAt: deps.clock.now().toISOString() };
  const result = await table(deps.tables).updateEntity(rowEntity(tenantId, row), 'Replace', { etag: held.etag });
  held.row = row;
  held.etag = result.etag ?? '';
}

/** Gives the lease back and queues the next run (at `at`, or now). */
async function handOver(deps: OffboardingDeps, tenantId: string, held: Held, changes: Partial<OffboardingRow>, at?: Date): Promise<OffboardRunResult> {
  const step = held.row.step + 1;
  const { holder: _h, leaseUntil: _l, ...rest } = { ...held.row, ...changes, step };
  const row: OffboardingRow = { ...rest, updatedAt: deps.clock.now().toISOString() };
  const result = await table(deps.tables).updateEntity(rowEntity(tenantId, row), 'Replace', { etag: held.etag });
  held.row = row;
  held.etag = result.etag ?? '';
  await queueRun(deps, tenantId, step, at);
  return { status: 'continued', phase: row.phase, ...(at ? { at } : {}) };
}

/**
 * One run of the tenant's offboarding (one `tenant-jobs` message). Throws to be delivered again; the work done
 * before the throw is recorded and not repeated (device writes at most once more: they are idempotent).
 */
export async function runOffboarding(deps: OffboardingDeps, tenantId: string, message: { step: number; waits?: number } = { step: 0 }): Promise<OffboardRunResult> {
  const id = tenantId.toLowerCase();
  const held = await acquire(deps, id);
  if (held === 'none') return { status: 'none' };
  if (held === 'busy') {
    const current = await readOffboarding(deps.tables, id);
    if (current?.leaseUntil) {
      // Back when the other run's lease ends: if it crashed, this run picks its work up.
      await queueRun(deps, id, current.step, new Date(current.leaseUntil + 1_000), (message.waits ?? 0) + 1);
    }
    return { status: 'busy' };
  }
  try {
    switch (held.row.phase) {
      case 'deactivate':
        return await deactivateChunk(deps, id, held);
      case 'stop':
        await stopTenant(deps, id);
        return await handOver(deps, id, held, { phase: 'delete' });
      case 'delete':
        return await deleteRows(deps, id, held);
      case 'finish':
        await finish(deps, id, held);
        return { status: 'done' };
    }
  } catch (caught) {
    // Give the lease back so the redelivery starts at once; the progress saved so far stands.
    try {
      await save(deps, id, held, { holder: undefined, leaseUntil: undefined, lastError: toError(caught).message.slice(0, 500) });
    } catch {
      // The lease expires on its own.
    }
    throw caught;
  }
}

// ---- 1. deactivate ----

const deviceRowSchema = z.record(z.string(), z.unknown());

/** The next devices after the last one handled, in (PartitionKey, RowKey) order: device rows only (RowKey below `~`). */
async function nextDevices(tables: TableStore, tenantId: string, after: { partition?: string | undefined; row?: string | undefined }): Promise<Device[]> {
  const range = odata`PartitionKey ge ${`${tenantId}|`} and PartitionKey lt ${`${tenantId}}`} and RowKey lt ${'~'}`;
  const resume =
    after.partition !== undefined && after.row !== undefined
      ? ` and (PartitionKey gt ${quote(after.partition)} or (PartitionKey eq ${quote(after.partition)} and RowKey gt ${quote(after.row)}))`
      : '';
  const filter = `${range}${resume}`;
  let cursor: string | null = null;
  // The service may answer a page with no rows and a continuation (a range over many partitions): read on.
  for (let pages = 0; pages < 50; pages += 1) {
    const page: Page<StoredEntity<Record<string, unknown>>> = await listPage(tables.table('devices'), { schema: deviceRowSchema, filter, cursor, limit: deviceChunk });
    if (page.items.length > 0) return page.items.map((raw) => deviceFromEntity(raw));
    if (page.nextCursor === null) return [];
    cursor = page.nextCursor;
  }
  return [];
}

function quote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function needsIntune(device: Device, partnerOn: boolean): boolean {
  return partnerOn && device.intuneResult !== 'device-gone' && device.intuneState !== 'deactivated';
}

function needsEntra(device: Device): boolean {
  return device.entraResult !== 'device-gone' && device.entraAttribute !== undefined && device.entraValue !== undefined && device.entraObjectId !== undefined;
}

const ok = (outcome: BatchOutcome | undefined): boolean => outcome !== undefined && ((outcome.status >= 200 && outcome.status < 300) || outcome.status === 404);

/**
 * What the DELETE did before its first run, done again where a stop left it undone (each step changes nothing when
 * it is already done): the start's audit entry, the tenant marked `offboarding`, the index showing it.
 */
async function ensureStarted(deps: OffboardingDeps, tenantId: string, row: OffboardingRow): Promise<void> {
  const tenant = await markTenantOffboarding(deps.tables, tenantId);
  if (tenant?.status === 'offboarding') return;
  await recordProviderAudit(deps.tables, {
    at: new Date(row.startedAt),
    action: 'tenant.offboard.start',
    tenantId,
    tenantName: row.tenantName,
    actor: parseActor(row.actor),
    detail: `Offboarding ${row.id} started.`,
    rowKey: row.auditKey,
  });
  await updateTenantIndex(deps.tables, tenantId, { status: 'offboarding', displayName: row.tenantName }, deps.clock.now());
}

async function deactivateChunk(deps: OffboardingDeps, tenantId: string, held: Held): Promise<OffboardRunResult> {
  if (held.row.afterPartition === undefined) await ensureStarted(deps, tenantId, held.row);
  const devices = await nextDevices(deps.tables, tenantId, { partition: held.row.afterPartition, row: held.row.afterRow });
  if (devices.length === 0) return handOver(deps, tenantId, held, { phase: 'stop', attempts: 0 });
  const settings = await readConnectorSettings(deps.tables, tenantId);
  const partnerOn = settings.enforcement.intunePartner;
  let chunk = devices;
  let laterAt: Date | undefined;
  const wantIntune = chunk.filter((device) => needsIntune(device, partnerOn)).length;
  if (wantIntune > 0) {
    const { granted, deferrals } = await deps.intuneBudget.take(tenantId, wantIntune);
    if (granted < wantIntune) {
      // Only as far as the budget reaches now; the rest in the window it names.
      let seen = 0;
      const cut = chunk.findIndex((device) => needsIntune(device, partnerOn) && ++seen > granted);
      chunk = cut < 0 ? chunk : chunk.slice(0, cut);
      laterAt = deferrals[0] ?? new Date(deps.clock.now().getTime() + deps.intuneBudget.settings.windowMs);
      if (chunk.length === 0) return handOver(deps, tenantId, held, {}, laterAt);
    }
  }
  const intune = chunk.filter((device) => needsIntune(device, partnerOn));
  const entra = chunk.filter(needsEntra);
  const intuneRequests: BatchRequest[] = intune.map((device) => ({
    method: 'PATCH',
    url: `/deviceManagement/managedDevices/${encodeURIComponent(device.intuneDeviceId)}`,
    body: { partnerReportedThreatState: 'deactivated' },
  }));
  const entraRequests: BatchRequest[] = entra.map((device) => ({
    method: 'PATCH',
    url: `/devices/${encodeURIComponent(device.entraObjectId ?? '')}`,
    body: { extensionAttributes: { [device.entraAttribute ?? '']: null } },
  }));
  let intuneOutcomes: BatchOutcome[] = [];
  let entraOutcomes: BatchOutcome[] = [];
  try {
    [intuneOutcomes, entraOutcomes] = await Promise.all([
      intuneRequests.length > 0 ? sendBatched(deps.graph.intune(tenantId), intuneRequests, { concurrency: 2 }) : Promise.resolve([]),
      entraRequests.length > 0 ? sendBatched(deps.graph.graph(tenantId), entraRequests, { concurrency: 2 }) : Promise.resolve([]),
    ]);
  } catch (caught) {
    // No token (consent revoked) or no answer: retried, then the chunk is passed as failed.
    const failure = { status: 0, error: toError(caught).message } satisfies BatchOutcome;
    intuneOutcomes = intune.map(() => failure);
    entraOutcomes = entra.map(() => failure);
  }
  const outcomeOf = new Map<string, BatchOutcome[]>();
  intune.forEach((device, index) => outcomeOf.set(device.deviceId, [intuneOutcomes[index] ?? { status: 0 }]));
  entra.forEach((device, index) => outcomeOf.set(device.deviceId, [...(outcomeOf.get(device.deviceId) ?? []), entraOutcomes[index] ?? { status: 0 }]));
  // Throttled: the devices up to the first throttled one are done; the rest after its Retry-After.
  const throttledIndex = chunk.findIndex((device) => (outcomeOf.get(device.deviceId) ?? []).some((outcome) => outcome.status === 429));
  if (throttledIndex >= 0) {
    const seconds = Math.max(
      1,
      ...chunk.flatMap((device) => (outcomeOf.get(device.deviceId) ?? []).filter((o) => o.status === 429).map((o) => o.retryAfterSeconds ?? 1)),
    );
    laterAt = new Date(deps.clock.now().getTime() + seconds * 1000);
    if (intune.some((device) => (outcomeOf.get(device.deviceId) ?? [])[0]?.status === 429)) await deps.intuneBudget.block(tenantId, laterAt);
    chunk = chunk.slice(0, throttledIndex);
  }
  const failed = chunk.filter((device) => !(outcomeOf.get(device.deviceId) ?? []).every(ok));
  if (failed.length > 0 && held.row.attempts + 1 < maxChunkAttempts) {
    // Tried again by the next run (the devices that went through are told again: harmless).
    await save(deps, tenantId, held, { attempts: held.row.attempts + 1, lastError: failed.length + ' devices could not be told' });
    throw new Error(`Offboarding: ${failed.length} of ${chunk.length} devices could not be told deactivated; retrying`);
  }
  const last = chunk.at(-1);
  const changes: Partial<OffboardingRow> = {
    devicesDone: held.row.devicesDone + chunk.length,
    devicesFailed: held.row.devicesFailed + failed.length,
    devicesTotal: Math.max(held.row.devicesTotal, held.row.devicesDone + chunk.length),
    attempts: 0,
    ...(last ? { afterPartition: `${tenantId}|${last.deviceId.slice(0, 2)}`, afterRow: last.deviceId } : {}),
  };
  return handOver(deps, tenantId, held, changes, laterAt);
}

// ---- 2. stop ----

const webhookRowSchema = z.object({ enabled: z.boolean().optional() });

/** Disables the tenant's webhooks and removes its rows from the job schedule and the event relay's due rows. */
async function stopTenant(deps: OffboardingDeps, tenantId: string): Promise<void> {
  const webhooks = deps.tables.table('webhooks');
  const page = await listPage(webhooks, { schema: webhookRowSchema, filter: odata`PartitionKey eq ${tenantId}`, limit: 1000 });
  const at = deps.clock.now().toISOString();
  await mapLimit(page.items, 4, async (row) => {
    if (row.enabled === false) return;
    try {
      await webhooks.updateEntity(
        { partitionKey: tenantId, rowKey: row.rowKey, enabled: false, disabledReason: 'The tenant is being offboarded.', disabledAt: at },
        'Merge',
        { etag: '*' },
      );
    } catch (caught) {
      if (statusOf(caught) !== 404) throw caught;
    }
  });
  await removeSchedules(deps.tables, tenantId);
}

const relayRowSchema = z.object({});

/** The tenant's rows in the shared partitions keyed by something else first: the job schedule and the relay's due rows. */
async function removeSchedules(tables: TableStore, tenantId: string): Promise<number> {
  for (const job of jobKinds) await removeDue(tables, tenantId, job);
  await forgetBackfillCursor(tables, tenantId);
  // Relay due rows: `{due ms}|{tenantId}|...` in the tenant's shard; short-lived, so the shard holds few rows.
  const events = tables.table('events');
  const shard = relayShard(tenantId);
  let removed = 0;
  let cursor: string | null = null;
  do {
    const page: Page<StoredEntity<Record<string, never>>> = await listPage(events, { schema: relayRowSchema, filter: odata`PartitionKey eq ${shard}`, select: ['RowKey'], cursor, limit: 1000 });
    for (const row of page.items) {
      if (row.rowKey.split('|')[1] !== tenantId) continue;
      try {
        await events.deleteEntity(shard, row.rowKey);
        removed += 1;
      } catch (caught) {
        if (statusOf(caught) !== 404) throw caught;
      }
    }
    cursor = page.nextCursor;
  } while (cursor !== null);
  return removed;
}

const backfillMarkerSchema = z.object({ cursor: z.string().optional() });

/**
 * The due-time backfill's marker keeps the last tenant id it looked at; when that is this tenant, it is moved to the
 * id's prefix instead (the walk goes on from the same place: `PartitionKey gt` the prefix re-reads nothing walked
 * but tenants sharing that prefix, whose rows exist already), so no row names the tenant.
 */
async function forgetBackfillCursor(tables: TableStore, tenantId: string): Promise<void> {
  const schedule = tables.table('jobSchedule');
  const marker = await readEntity(schedule, backfillMarkerSchema, backfillPartition, backfillRowKey);
  if (marker?.cursor !== tenantId) return;
  try {
    await schedule.updateEntity({ partitionKey: backfillPartition, rowKey: backfillRowKey, cursor: tenantId.slice(0, -1) }, 'Merge', { etag: marker.etag });
  } catch (caught) {
    // The walk moved on meanwhile: its cursor is another tenant's.
    if (statusOf(caught) !== 412 && statusOf(caught) !== 404) throw caught;
  }
}

// ---- 3. delete ----

const keysOnly = z.object({});

/** The range of every partition of the tenant: `{id}` itself and every `{id}|...`. */
export function tenantRange(tenantId: string): string {
  return odata`PartitionKey ge ${tenantId} and PartitionKey lt ${`${tenantId}}`}`;
}

/** Deletes a page of the tenant's rows of one table; returns how many were deleted (0: the table holds none). */
export async function deletePage(tables: TableStore, name: TableName, tenantId: string): Promise<number> {
  const client = tables.table(name);
  let page = await listPage(client, { schema: keysOnly, filter: tenantRange(tenantId), select: ['RowKey'], limit: 1000 });
  // The service may answer a page with no rows and a continuation (a range over many partitions): read on.
  while (page.items.length === 0 && page.nextCursor !== null) {
    page = await listPage(client, { schema: keysOnly, filter: tenantRange(tenantId), select: ['RowKey'], cursor: page.nextCursor, limit: 1000 });
  }
  const byPartition = new Map<string, string[]>();
  for (const row of page.items) {
    const rows = byPartition.get(row.partitionKey) ?? [];
    rows.push(row.rowKey);
    byPartition.set(row.partitionKey, rows);
  }
  const chunks: { partitionKey: string; rowKeys: string[] }[] = [];
  for (const [partitionKey, rowKeys] of byPartition) {
    for (let start = 0; start < rowKeys.length; start += 100) chunks.push({ partitionKey, rowKeys: rowKeys.slice(start, start + 100) });
  }
  let deleted = 0;
  await mapLimit(chunks, 8, async ({ partitionKey, rowKeys }) => {
    const actions: TransactionAction[] = rowKeys.map((rowKey) => ['delete', { partitionKey, rowKey }]);
    try {
      if (actions.length === 1) await client.deleteEntity(partitionKey, rowKeys[0] ?? '');
      else await client.submitTransaction(actions);
      deleted += rowKeys.length;
    } catch (caught) {
      if (statusOf(caught) !== 404) throw caught;
      // One of them was deleted meanwhile (an earlier run's transaction, or the relay): one by one.
      for (const rowKey of rowKeys) {
        try {
          await client.deleteEntity(partitionKey, rowKey);
          deleted += 1;
        } catch (inner) {
          if (statusOf(inner) !== 404) throw inner;
        }
      }
    }
  });
  return deleted;
}

async function deleteRows(deps: OffboardingDeps, tenantId: string, held: Held): Promise<OffboardRunResult> {
  let { tableIndex, rowsDeleted } = held.row;
  let thisRun = 0;
  while (tableIndex < offboardedTables.length && thisRun < rowsPerRun) {
    const name = offboardedTables[tableIndex];
    if (name === undefined) break;
    const deleted = await deletePage(deps.tables, name, tenantId);
    if (deleted === 0) {
      tableIndex += 1;
      await save(deps, tenantId, held, { tableIndex, rowsDeleted });
      continue;
    }
    rowsDeleted += deleted;
    thisRun += deleted;
    await save(deps, tenantId, held, { rowsDeleted });
  }
  return handOver(deps, tenantId, held, tableIndex >= offboardedTables.length ? { phase: 'finish', tableIndex, rowsDeleted } : { tableIndex, rowsDeleted });
}

// ---- 4. finish ----

async function finish(deps: OffboardingDeps, tenantId: string, held: Held): Promise<void> {
  // A job message that was in flight when offboarding began may have parked a due row again.
  await removeSchedules(deps.tables, tenantId);
  let deleted = held.row.rowsDeleted;
  // The tenant row: every partition of the tenant in `tenants`.
  for (let n = await deletePage(deps.tables, 'tenants', tenantId); n !== 0; n = await deletePage(deps.tables, 'tenants', tenantId)) deleted += n;
  await removeTenantIndex(deps.tables, tenantId);
  // The completion entry's key is kept first, so a repeated finish rewrites the same entry.
  if (held.row.doneKey === undefined) await save(deps, tenantId, held, { doneKey: auditRowKey(deps.clock.now()) });
  const actor = parseActor(held.row.actor);
  await recordProviderAudit(deps.tables, {
    at: deps.clock.now(),
    action: 'tenant.offboard.complete',
    tenantId,
    tenantName: held.row.tenantName,
    actor,
    detail:
      `Offboarding ${held.row.id} completed: ${held.row.devicesDone} devices deactivated` +
      `${held.row.devicesFailed > 0 ? ` (${held.row.devicesFailed} could not be told)` : ''}, ${deleted + 1} rows deleted.`,
    ...(held.row.doneKey !== undefined ? { rowKey: held.row.doneKey } : {}),
  });
  try {
    await table(deps.tables).deleteEntity(offboardingPartition, tenantId, { etag: held.etag });
  } catch (caught) {
    if (statusOf(caught) !== 404) throw caught;
  }
}

export { offboardingRowSchema };
