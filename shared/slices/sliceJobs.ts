/**
 * Work over a tenant's devices that is too long for one request or one invocation (a re-grade after a classification
 * change, a resync after a settings change) runs as a job in slices: the tenant's 256 device partitions are cut into
 * `slices` ranges, and one queue message per (tenant, job, slice) on `device-slices` lets many instances work on
 * one tenant's job side by side.
 *
 * Rows (`sliceJobs`, PartitionKey = tenant id):
 * - `j|{jobId}`: the job: `kind`, `slices`, `classifications?` (JSON), `packages?` (JSON), `revision?`, `createdAt`, `createdBy?`,
 *   `completedAt?`;
 * - `j|{jobId}|{slice, 3 digits}`: a slice's progress, written with its ETag: `after` (the last device id done),
 *   `devicesTotal` (devices the slice covers), `devicesChanged` (committed), `pending` (JSON `{ through, changed }`:
 *   a chunk planned but maybe not yet applied), `done`, `completedAt?`.
 *
 * A slice works through its devices in id order, in chunks. Before applying a chunk it records the chunk and what it
 * will change (`pending`) in the same write that commits the previous chunk; a slice delivered again (after a crash
 * or a lost lock) starts from its row: it applies the pending chunk again (each step is idempotent: a device already
 * re-graded or nudged is skipped) but counts it as planned, so nothing is lost and nothing is counted twice. Two
 * deliveries of one slice at once cannot both progress: the loser's ETag write fails and it stops (`SliceBusy`).
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../base/clock.js';
import { classificationSchema } from '../domain/index.js';
import { statusOf } from '../base/errors.js';
import type { QueueMessage, QueueSenders } from '../queues/queue.js';
import { odata, readEntity, type TableStore } from '../storage/index.js';

export const sliceQueueName = 'device-slices';

/** Slices per job: 16 ranges of 16 device partitions each. */
export const defaultSliceCount = 16;

/** Devices per checkpoint within a slice. */
export const sliceChunkSize = 100;

export const sliceJobKindSchema = z.enum(['regrade', 'resync']);
export type SliceJobKind = z.output<typeof sliceJobKindSchema>;

export const sliceMessageSchema = z.object({
  tenantId: z.string().min(1),
  jobId: z.string().min(1),
  kind: sliceJobKindSchema,
  slice: z.number().int().nonnegative(),
  slices: z.number().int().positive(),
  /** Re-grade: the classifications whose level changed. */
  classifications: z.array(classificationSchema).optional(),
  /** Re-grade: the package names whose app rule changed. */
  packages: z.array(z.string()).optional(),
  /** Resync: the enforcement revision it is for, and the stamp that makes its nudges' message ids fresh. */
  revision: z.number().int().nonnegative().optional(),
  stamp: z.number().int().nonnegative().optional(),
});
export type SliceMessage = z.output<typeof sliceMessageSchema>;

export interface SliceJob {
  readonly tenantId: string;
  readonly id: string;
  readonly kind: SliceJobKind;
  readonly slices: number;
  readonly classifications?: readonly z.output<typeof classificationSchema>[];
  readonly packages?: readonly string[];
  readonly revision?: number;
  readonly stamp?: number;
  readonly createdAt: string;
  readonly createdBy?: string;
}

export const jobStatusSchema = z.enum(['running', 'completed']);

export interface SliceJobStatus {
  readonly job: SliceJob;
  readonly status: z.output<typeof jobStatusSchema>;
  readonly devicesChanged: number;
  readonly devicesTotal: number;
  readonly slicesDone: number;
  /** Slices that have not written any progress yet. */
  readonly slicesNotStarted: number[];
  readonly completedAt?: string;
}

/** A new job id: sortable by time, unguessable, fixed length (`{kind prefix}-{13-digit ms}-{12 hex}`). */
export function newJobId(kind: SliceJobKind, at: Date): string {
  return `${kind === 'regrade' ? 'rg' : 'rs'}-${String(at.getTime()).padStart(13, '0')}-${randomBytes(6).toString('hex')}`;
}

/** The job id of the resync for an enforcement revision (one job per revision). */
export function resyncJobId(revision: number): string {
  return `rs-r${String(revision).padStart(10, '0')}`;
}

export const jobIdSchema = z.string().regex(/^(rg-\d{13}-[0-9a-f]{12}|rs-r\d{10})$/, 'not a job id');

export function jobRowKey(jobId: string): string {
  return `j|${jobId}`;
}

export function sliceRowKey(jobId: string, slice: number): string {
  return `j|${jobId}|${String(slice).padStart(3, '0')}`;
}

const hex = (n: number): string => n.toString(16).padStart(2, '0');

/** The device partition suffixes (`00`..`ff`) of a slice. */
export function sliceBuckets(slice: number, slices: number): string[] {
  const low = Math.floor((slice * 256) / slices);
  const high = Math.floor(((slice + 1) * 256) / slices);
  return Array.from({ length: high - low }, (_unused, index) => hex(low + index));
}

/**
 * The PartitionKey range of a slice in `devices`: its partitions, and for the first and last slice also any
 * partition outside `00`..`ff` (device ids that are not GUIDs), so the slices together cover every device.
 */
export function sliceDeviceFilter(tenantId: string, slice: number, slices: number): string {
  const buckets = sliceBuckets(slice, slices);
  const low = slice === 0 ? `${tenantId}|` : `${tenantId}|${buckets[0] ?? ''}`;
  const next = Math.floor(((slice + 1) * 256) / slices);
  const high = slice === slices - 1 ? `${tenantId}}` : `${tenantId}|${hex(next)}`;
  return odata`PartitionKey ge ${low} and PartitionKey lt ${high} and RowKey lt ${'~'}`;
}

// ---- job rows ---------------------------------------------------------------------------------------------------

const jsonText = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not JSON' });
    return z.NEVER;
  }
});

const jobEntitySchema = z.object({
  kind: sliceJobKindSchema,
  slices: z.number().int().nonnegative(),
  classifications: jsonText.pipe(z.array(classificationSchema)).optional(),
  packages: jsonText.pipe(z.array(z.string())).optional(),
  revision: z.number().int().optional(),
  stamp: z.number().int().optional(),
  createdAt: z.string(),
  createdBy: z.string().optional(),
  completedAt: z.string().optional(),
});

const pendingSchema = z.object({ through: z.string(), changed: z.number().int().nonnegative() });

const sliceEntitySchema = z.object({
  after: z.string().default(''),
  devicesTotal: z.number().int().nonnegative().default(0),
  devicesChanged: z.number().int().nonnegative().default(0),
  pending: jsonText.pipe(pendingSchema).optional(),
  done: z.boolean().default(false),
  completedAt: z.string().optional(),
});
type SliceEntity = z.output<typeof sliceEntitySchema>;

/** Records the job (before its slices are sent). Recording it again is harmless: the first record stays. */
export async function createJob(tables: TableStore, job: SliceJob): Promise<void> {
  try {
    await tables.table('sliceJobs').createEntity({
      partitionKey: job.tenantId,
      rowKey: jobRowKey(job.id),
      kind: job.kind,
      slices: job.slices,
      ...(job.classifications ? { classifications: JSON.stringify(job.classifications) } : {}),
      ...(job.packages ? { packages: JSON.stringify(job.packages) } : {}),
      ...(job.revision !== undefined ? { revision: job.revision } : {}),
      ...(job.stamp !== undefined ? { stamp: job.stamp } : {}),
      createdAt: job.createdAt,
      ...(job.createdBy ? { createdBy: job.createdBy } : {}),
    });
  } catch (caught) {
    if (statusOf(caught) !== 409) throw caught;
  }
}

export function sliceMessages(job: SliceJob, only?: readonly number[], notBefore?: Date): QueueMessage[] {
  const slices = only ?? Array.from({ length: job.slices }, (_unused, index) => index);
  return slices.map((slice) => {
    const body: SliceMessage = {
      tenantId: job.tenantId,
      jobId: job.id,
      kind: job.kind,
      slice,
      slices: job.slices,
      ...(job.classifications ? { classifications: [...job.classifications] } : {}),
      ...(job.packages ? { packages: [...job.packages] } : {}),
      ...(job.revision !== undefined ? { revision: job.revision } : {}),
      ...(job.stamp !== undefined ? { stamp: job.stamp } : {}),
    };
    return { messageId: `${job.id}:${slice}`, body, ...(notBefore ? { scheduledEnqueueTimeUtc: notBefore } : {}) };
  });
}

/** Sends one message per slice (or per slice named), delivered no earlier than `notBefore`. */
export async function sendSlices(queues: QueueSenders, job: SliceJob, only?: readonly number[], notBefore?: Date): Promise<void> {
  const messages = sliceMessages(job, only, notBefore);
  if (messages.length > 0) await queues(sliceQueueName).send(messages);
}

/** The job and its progress: one range query over its rows (the job row and at most `slices` slice rows). */
export async function readJob(tables: TableStore, tenantId: string, jobId: string): Promise<SliceJobStatus | undefined> {
  const low = jobRowKey(jobId);
  const rows = tables.table('sliceJobs').listEntities({
    queryOptions: { filter: odata`PartitionKey eq ${tenantId} and RowKey ge ${low} and RowKey lt ${`${low}}`}` },
  });
  let job: SliceJob | undefined;
  let completedAt: string | undefined;
  const slices = new Map<number, SliceEntity>();
  for await (const raw of rows) {
    const rowKey = typeof raw.rowKey === 'string' ? raw.rowKey : '';
    if (rowKey === low) {
      const parsed = jobEntitySchema.safeParse(raw);
      if (!parsed.success) return undefined;
      const { classifications, packages, revision, stamp, createdBy } = parsed.data;
      job = {
        tenantId,
        id: jobId,
        kind: parsed.data.kind,
        slices: parsed.data.slices,
        createdAt: parsed.data.createdAt,
        ...(classifications ? { classifications } : {}),
        ...(packages ? { packages } : {}),
        ...(revision !== undefined ? { revision } : {}),
        ...(stamp !== undefined ? { stamp } : {}),
        ...(createdBy ? { createdBy } : {}),
      };
      completedAt = parsed.data.completedAt;
      continue;
    }
    const slice = Number(rowKey.slice(low.length + 1));
    const parsed = sliceEntitySchema.safeParse(raw);
    if (Number.isInteger(slice) && parsed.success) slices.set(slice, parsed.data);
  }
  if (!job) return undefined;
  let devicesChanged = 0;
  let devicesTotal = 0;
  let slicesDone = 0;
  const slicesNotStarted: number[] = [];
  let lastDone: string | undefined;
  for (let slice = 0; slice < job.slices; slice += 1) {
    const progress = slices.get(slice);
    if (!progress) {
      slicesNotStarted.push(slice);
      continue;
    }
    devicesChanged += progress.devicesChanged;
    devicesTotal += progress.devicesTotal;
    if (progress.done) {
      slicesDone += 1;
      if (progress.completedAt && (!lastDone || progress.completedAt > lastDone)) lastDone = progress.completedAt;
    }
  }
  const completed = slicesDone === job.slices;
  const doneAt = completedAt ?? (completed ? (lastDone ?? job.createdAt) : undefined);
  return {
    job,
    status: completed ? 'completed' : 'running',
    devicesChanged,
    devicesTotal,
    slicesDone,
    slicesNotStarted,
    ...(doneAt ? { completedAt: doneAt } : {}),
  };
}

/** Marks the job completed (idempotent). */
export async function markJobCompleted(tables: TableStore, tenantId: string, jobId: string, at: string): Promise<void> {
  await tables
    .table('sliceJobs')
    .updateEntity({ partitionKey: tenantId, rowKey: jobRowKey(jobId), completedAt: at }, 'Merge', { etag: '*' })
    .catch((caught: unknown) => {
      if (statusOf(caught) !== 404) throw caught;
    });
}

// ---- running a slice --------------------------------------------------------------------------------------------

/** Another delivery of the same slice wrote its progress first: this one stops (the other carries on). */
export class SliceBusy extends Error {
  readonly code = 'ERR_SLICE_BUSY';
  constructor(
    readonly jobId: string,
    readonly slice: number,
  ) {
    super(`Slice ${slice} of job ${jobId} is being worked on by another delivery`);
    this.name = 'SliceBusy';
  }
}

/** What a kind of job does with the devices of one slice. */
export interface SliceWork<T extends { readonly id: string }> {
  /** The slice's items (devices), in id order. */
  items(): Promise<T[]>;
  /** Works out a chunk (reads only): how many devices it changes, and the writes that change them (idempotent). */
  plan(chunk: readonly T[]): Promise<{ readonly changed: number; apply(): Promise<void> }>;
}

export interface SliceOutcome {
  /** The slice was already done (a redelivery): nothing was read beyond its row. */
  readonly alreadyDone: boolean;
  readonly devicesTotal: number;
  readonly devicesChanged: number;
}

interface SliceDeps {
  readonly tables: TableStore;
  readonly clock: Clock;
}

/** Runs one slice from its stored progress to the end, checkpointing every chunk. */
export async function runSlice<T extends { readonly id: string }>(
  deps: SliceDeps,
  message: SliceMessage,
  work: SliceWork<T>,
  chunkSize = sliceChunkSize,
): Promise<SliceOutcome> {
  const table = deps.tables.table('sliceJobs');
  const partitionKey = message.tenantId;
  const rowKey = sliceRowKey(message.jobId, message.slice);
  const stored = await readEntity(table, sliceEntitySchema, partitionKey, rowKey);
  if (stored?.done) return { alreadyDone: true, devicesTotal: stored.devicesTotal, devicesChanged: stored.devicesChanged };
  let etag = stored?.etag;

  const write = async (state: SliceEntity): Promise<void> => {
    const entity = {
      partitionKey,
      rowKey,
      after: state.after,
      devicesTotal: state.devicesTotal,
      devicesChanged: state.devicesChanged,
      done: state.done,
      ...(state.pending ? { pending: JSON.stringify(state.pending) } : {}),
      ...(state.completedAt ? { completedAt: state.completedAt } : {}),
    };
    try {
      const response = etag === undefined ? await table.createEntity(entity) : await table.updateEntity(entity, 'Replace', { etag });
      etag = response.etag;
    } catch (caught) {
      const status = statusOf(caught);
      if (status === 409 || status === 412 || status === 404) throw new SliceBusy(message.jobId, message.slice);
      throw caught;
    }
  };

  const items = await work.items();
  const state: SliceEntity = {
    after: stored?.after ?? '',
    devicesTotal: stored ? stored.devicesTotal : items.length,
    devicesChanged: stored?.devicesChanged ?? 0,
    done: false,
    ...(stored?.pending ? { pending: stored.pending } : {}),
  };
  let rest = items.filter((item) => item.id > state.after);

  // A chunk planned by an earlier delivery: apply it again (idempotent), count it as it was planned.
  if (state.pending) {
    const { through, changed } = state.pending;
    const redo = rest.filter((item) => item.id <= through);
    if (redo.length > 0) await (await work.plan(redo)).apply();
    state.devicesChanged += changed;
    state.after = through;
    delete state.pending;
    rest = rest.filter((item) => item.id > through);
  }

  for (let start = 0; start < rest.length; start += chunkSize) {
    const chunk = rest.slice(start, start + chunkSize);
    const last = chunk[chunk.length - 1];
    if (!last) break;
    const planned = await work.plan(chunk);
    // Commits the previous chunk and records this one before any of its writes.
    await write({ ...state, pending: { through: last.id, changed: planned.changed } });
    await planned.apply();
    state.devicesChanged += planned.changed;
    state.after = last.id;
  }
  await write({ ...state, done: true, completedAt: deps.clock.now().toISOString() });
  return { alreadyDone: false, devicesTotal: state.devicesTotal, devicesChanged: state.devicesChanged };
}
