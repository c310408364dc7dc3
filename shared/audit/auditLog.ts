/**
 * The audit log of every change made through the console or by onboarding: who, when, what, before and after.
 *
 * Write-ahead: the entry is written first (`outcome: pending`, with the request), then the change runs, then the
 * entry records `applied` with before/after (or `failed`). A change therefore never happens without its entry;
 * an entry left `pending` means the process stopped between the change and its outcome.
 * Rows: PartitionKey = tenant id, RowKey = `{inverted ms timestamp, 13 digits}-{random}` so the newest come first.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { toError } from '../base/errors.js';
import { listPage, odata } from '../storage/index.js';
import type { TableStore } from '../storage/index.js';
import type { CorePorts } from '../ports.js';
import type { EventRecorder } from '../events/event.js';

/** Who made a change. A `ConsolePrincipal` is one. */
export interface AuditActor {
  readonly tenantId: string;
  readonly userId: string;
  readonly name: string;
}

export interface AuditSubject {
  /** What was done, e.g. `connector.update`, `enrollmentGroup.add`. */
  readonly action: string;
  /** What it was done to, e.g. `connector`, an enrollment group's display name. */
  readonly target: string;
  /** What was asked for (the request body), recorded before the change runs. */
  readonly request?: unknown;
}

export interface AuditChange {
  readonly before: unknown;
  readonly after: unknown;
}

export const auditOutcomeSchema = z.enum(['pending', 'applied', 'failed']);
export type AuditOutcome = z.output<typeof auditOutcomeSchema>;

const auditEntitySchema = z.object({
  at: z.string(),
  actorId: z.string(),
  actorName: z.string(),
  action: z.string(),
  target: z.string(),
  request: z.string().optional(),
  before: z.string().optional(),
  after: z.string().optional(),
  outcome: auditOutcomeSchema,
  failure: z.string().optional(),
  completedAt: z.string().optional(),
});

/** An audit entry as the console shows it. */
export const auditEntrySchema = z.object({
  id: z.string(),
  at: z.string(),
  actor: z.object({ id: z.string(), name: z.string() }),
  action: z.string(),
  target: z.string(),
  request: z.unknown().optional(),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
  outcome: auditOutcomeSchema,
  failure: z.string().optional(),
});
export type AuditEntry = z.output<typeof auditEntrySchema>;

const maxTimestamp = 9_999_999_999_999;

/** A row key that sorts newest first. */
export function auditRowKey(at: Date, random: string = randomBytes(6).toString('hex')): string {
  return `${String(maxTimestamp - at.getTime()).padStart(13, '0')}-${random}`;
}

/** JSON for a stored property; Table Storage strings hold 64 KiB, so very large values are cut with a note. */
function stored(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const text = JSON.stringify(value);
  return text.length > 30_000 ? JSON.stringify({ truncated: true, preview: text.slice(0, 2_000) }) : text;
}

function parsed(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Without `events` the change is audited but records no `audit.recorded` event. */
export type AuditDeps = Pick<CorePorts, 'tables' | 'clock' | 'log'> & { readonly events?: EventRecorder };

/**
 * Runs `change` with a write-ahead audit entry. The entry is written before the change (if that write fails, the
 * change does not run), and completed after it with before/after (`applied`) or the failure (`failed`, rethrown).
 */
export async function audited<T extends AuditChange>(
  services: AuditDeps,
  actor: AuditActor,
  subject: AuditSubject,
  change: () => Promise<T>,
): Promise<T> {
  const table = services.tables.table('auditLog');
  const at = services.clock.now();
  const partitionKey = actor.tenantId;
  const rowKey = auditRowKey(at);
  const request = stored(subject.request);
  await table.createEntity({
    partitionKey,
    rowKey,
    at: at.toISOString(),
    actorId: actor.userId,
    actorName: actor.name,
    action: subject.action,
    target: subject.target,
    ...(request !== undefined ? { request } : {}),
    outcome: 'pending',
  });
  let result: T;
  try {
    result = await change();
  } catch (caught) {
    const error = toError(caught);
    const status = (error as { status?: unknown }).status;
    const code = (error as { code?: unknown }).code;
    const failure =
      error.name === 'HttpError' && typeof status === 'number'
        ? `${status}: ${error.message}`.slice(0, 500)
        : typeof code === 'string'
          ? code
          : error.name;
    await table
      .updateEntity({ partitionKey, rowKey, outcome: 'failed', failure, completedAt: services.clock.now().toISOString() }, 'Merge')
      .catch((e: unknown) => services.log.error(`Audit entry ${rowKey} could not record its failure: ${toError(e).message}`));
    throw caught;
  }
  const before = stored(result.before);
  const after = stored(result.after);
  if (services.events) {
    // Recorded before the entry says `applied`: the change is made, so its event must exist even if we stop here.
    const occurredAt = services.clock.now().toISOString();
    await services.events
      .record(actor.tenantId, [
        {
          type: 'audit.recorded',
          occurredAt,
          data: { actor: { id: actor.userId, name: actor.name }, action: subject.action, target: subject.target, before: parsed(before), after: parsed(after) },
        },
      ])
      .catch((e: unknown) => services.log.error(`Audit entry ${rowKey} could not record its event: ${toError(e).message}`));
  }
  try {
    await table.updateEntity(
      {
        partitionKey,
        rowKey,
        outcome: 'applied',
        ...(before !== undefined ? { before } : {}),
        ...(after !== undefined ? { after } : {}),
        completedAt: services.clock.now().toISOString(),
      },
      'Merge',
    );
  } catch (caught) {
    // The change is made and its pending entry exists; the caller's change must not be reported as failed.
    services.log.error(`Audit entry ${rowKey} could not record its outcome: ${toError(caught).message}`);
  }
  return result;
}

export interface AuditPage {
  items: AuditEntry[];
  nextCursor: string | null;
}

/** One page of a tenant's audit log, newest first. Throws `InvalidCursor` for a cursor this query did not issue. */
export async function listAuditLog(tables: TableStore, tenantId: string, options: { cursor?: string | null; limit: number }): Promise<AuditPage> {
  const page = await listPage(tables.table('auditLog'), {
    schema: auditEntitySchema,
    filter: odata`PartitionKey eq ${tenantId}`,
    cursor: options.cursor ?? null,
    limit: options.limit,
  });
  return {
    items: page.items.map((entity) => ({
      id: entity.rowKey,
      at: entity.at,
      actor: { id: entity.actorId, name: entity.actorName },
      action: entity.action,
      target: entity.target,
      ...(entity.request !== undefined ? { request: parsed(entity.request) } : {}),
      ...(entity.before !== undefined ? { before: parsed(entity.before) } : {}),
      ...(entity.after !== undefined ? { after: parsed(entity.after) } : {}),
      outcome: entity.outcome,
      ...(entity.failure !== undefined ? { failure: entity.failure } : {}),
    })),
    nextCursor: page.nextCursor,
  };
}
