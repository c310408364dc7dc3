/**
 * An offboarding's progress (`providerTenants`, PartitionKey `offboarding`, RowKey the tenant id): what has been done
 * so far, so a run that stops anywhere is resumed by the next one (shared/provider/offboarding.ts). Written with its
 * ETag; deleted with the tenant's last rows.
 */
import { z } from 'zod';
import { HttpError } from '../http/problem.js';
import { readEntity, type StoredEntity, type TableStore } from '../storage/index.js';

export const offboardingPartition = 'offboarding';

export const offboardingPhaseSchema = z.enum(['deactivate', 'stop', 'delete', 'finish']);
export type OffboardingPhase = z.output<typeof offboardingPhaseSchema>;

export const offboardingRowSchema = z.object({
  id: z.string(),
  tenantName: z.string(),
  phase: offboardingPhaseSchema,
  startedAt: z.string(),
  updatedAt: z.string(),
  /** The actor who asked (JSON of the provider audit actor). */
  actor: z.string(),
  /** The RowKey of the audit entry that recorded the start. */
  auditKey: z.string(),
  devicesTotal: z.number().int().nonnegative(),
  /** Devices whose Intune state and Entra attribute were handled (told, cleared, gone, or failed for good). */
  devicesDone: z.number().int().nonnegative(),
  /** Devices Intune or Entra ID refused for good (after retries): counted, and offboarding goes on. */
  devicesFailed: z.number().int().nonnegative(),
  /** The last device handled (its PartitionKey and RowKey): the deactivation resumes after it. */
  afterPartition: z.string().optional(),
  afterRow: z.string().optional(),
  /** Runs in a row that failed on the current chunk of devices. */
  attempts: z.number().int().nonnegative(),
  /** Position in the list of tables being emptied. */
  tableIndex: z.number().int().nonnegative(),
  rowsDeleted: z.number().int().nonnegative(),
  /** Continuations sent so far (each continuation message's id carries it). */
  step: z.number().int().nonnegative(),
  /** The run working on it now, until `leaseUntil` (ms). */
  holder: z.string().optional(),
  leaseUntil: z.number().optional(),
  lastError: z.string().optional(),
  /** The RowKey of the completion's audit entry, chosen before it is written. */
  doneKey: z.string().optional(),
});
export type OffboardingRow = z.output<typeof offboardingRowSchema>;

export async function readOffboarding(tables: TableStore, tenantId: string): Promise<StoredEntity<OffboardingRow> | undefined> {
  return readEntity(tables.table('providerTenants'), offboardingRowSchema, offboardingPartition, tenantId.toLowerCase());
}

/** The progress a provider sees while the tenant is being offboarded. */
export const offboardingProgressSchema = z.object({
  id: z.string(),
  status: z.literal('running'),
  phase: offboardingPhaseSchema.describe(
    '`deactivate`: telling Intune `deactivated` and clearing Entra attributes; `stop`: webhooks and schedules; `delete`: deleting rows; `finish`: the tenant row.',
  ),
  startedAt: z.string(),
  updatedAt: z.string(),
  devices: z.object({ total: z.number().int(), done: z.number().int(), failed: z.number().int() }),
  rowsDeleted: z.number().int(),
});
export type OffboardingProgress = z.output<typeof offboardingProgressSchema>;

export function progressOf(row: OffboardingRow): OffboardingProgress {
  return {
    id: row.id,
    status: 'running',
    phase: row.phase,
    startedAt: row.startedAt,
    updatedAt: row.updatedAt,
    devices: { total: row.devicesTotal, done: row.devicesDone, failed: row.devicesFailed },
    rowsDeleted: row.rowsDeleted,
  };
}

/**
 * The answer to every console, agent and feed request of a tenant being offboarded: 410 Gone, so an agent stops
 * retrying and a console says why.
 */
export function offboardingRefusal(): HttpError {
  return new HttpError(
    410,
    'Your organization is being removed from this service (offboarding): its devices have been deactivated and its data is being deleted. Contact your provider if this is unexpected.',
    { title: 'Gone', type: 'https://mtd-connector.dev/problems/tenant-offboarding' },
  );
}
