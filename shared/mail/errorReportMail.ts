/**
 * The error report by mail, one tenant per call (the tenant's mail job): the `errorReports` rows of the last day that hold
 * errors not yet mailed (never mailed, or grown since) go in one mail to the tenant's `errorReportRecipients`,
 * grouped by kind, with counts, first and last time and the first examples. Each kind is mailed at most once an hour:
 * errors of a kind mailed less than an hour ago wait. After a successful send each row records `mailedAt` and
 * `mailedCount` (the count the mail reported). No recipients: nothing is sent and nothing is marked.
 */
import { z } from 'zod';
import type { Clock } from '../base/clock.js';
import { errorKinds, errorReportSchema, hourBucket, maxExamples, type ErrorKind, type ErrorReportRow } from '../errorReports/errorReports.js';
import { toError } from '../base/errors.js';
import type { Logger } from '../base/logger.js';
import { listAll, odata, submitInBatches, updateEntity, type StoredEntity, type TableStore, type TransactionAction } from '../storage/index.js';
import { readConnectorSettings } from '../tenants/tenantConfig.js';
import { isTemporary, type MailSender } from '../sendgrid/sendgrid.js';
import { errorReportMail, type ErrorReportGroup } from './templates.js';

/** Hour buckets older than this are not mailed any more. */
export const errorReportWindowMs = 24 * 60 * 60_000;
/** One mail per kind at most this often. */
export const errorReportIntervalMs = 60 * 60_000;

export interface ErrorReportDeps {
  readonly tables: TableStore;
  readonly clock: Clock;
  readonly log: Logger;
  readonly mail: MailSender;
}

export interface ErrorReportRunResult {
  /** Whether a report was mailed. */
  readonly sent: boolean;
  /** Kinds in it. */
  readonly kinds: readonly ErrorKind[];
  readonly recipients: number;
  /** When the tenant's mail job must look again (errors waiting for their kind's hourly mail, rows to delete). */
  readonly nextDueMs?: number;
}

type ReportRow = StoredEntity<ErrorReportRow>;

const exampleList = z.array(z.string());

function examplesOf(row: ReportRow): string[] {
  try {
    const parsed = exampleList.safeParse(JSON.parse(row.examples));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}

function reportedCount(row: ReportRow): number {
  if (row.mailedCount !== undefined) return row.mailedCount;
  return row.mailedAt !== undefined ? row.count : 0;
}

/**
 * The rows of the last day, every kind: the tenant's partition holds only those (`{hour}|{kind}` keys) once older
 * ones are deleted, so it is read as one range; rows older than the window (or in the earlier `{kind}|{hour}` key
 * form) found in it are deleted here.
 */
async function readRecentRows(tables: TableStore, tenantId: string, now: Date, log: Logger): Promise<ReportRow[]> {
  const from = hourBucket(new Date(now.getTime() - errorReportWindowMs));
  const filter = odata`PartitionKey eq ${tenantId}`;
  const rows: ReportRow[] = [];
  const stale: string[] = [];
  for await (const raw of listAll(tables.table('errorReports'), { schema: z.record(z.string(), z.unknown()), filter })) {
    const parsed = errorReportSchema.safeParse(raw);
    const current = /^\d{4}-\d{2}-\d{2}T\d{2}\|/.test(raw.rowKey) && raw.rowKey >= `${from}|`;
    if (!current) {
      stale.push(raw.rowKey);
      continue;
    }
    if (parsed.success) rows.push({ ...parsed.data, partitionKey: raw.partitionKey, rowKey: raw.rowKey, etag: raw.etag });
    else log.warn(`Error report row ${raw.rowKey} of tenant ${tenantId} does not parse; skipped.`);
  }
  if (stale.length > 0) {
    await submitInBatches(
      tables.table('errorReports'),
      stale.map((rowKey): TransactionAction => ['delete', { partitionKey: tenantId, rowKey }]),
    ).catch((caught: unknown) => log.warn(`Old error report rows of tenant ${tenantId} not deleted: ${toError(caught).message}`));
  }
  return rows;
}

/** When rows left in the partition must be looked at again: a kind waiting for its hourly mail, a row to delete. */
export function nextLookMs(rows: readonly ReportRow[], now: Date): number | undefined {
  const times: number[] = [];
  for (const row of rows) {
    const hourStart = Date.parse(`${row.hour}:00:00.000Z`);
    if (Number.isFinite(hourStart)) times.push(hourStart + errorReportWindowMs + errorReportIntervalMs);
    if (row.count > reportedCount(row)) {
      const mailedAt = Math.max(
        ...rows.filter((other) => other.kind === row.kind && other.mailedAt).map((other) => Date.parse(other.mailedAt ?? '')),
      );
      times.push(Number.isFinite(mailedAt) ? mailedAt + errorReportIntervalMs : now.getTime());
    }
  }
  const future = times.filter((at) => Number.isFinite(at));
  return future.length > 0 ? Math.max(now.getTime(), Math.min(...future)) : undefined;
}

/** The groups due for a mail: per kind, the rows with unreported errors, unless the kind was mailed within the hour. */
export function dueGroups(rows: readonly ReportRow[], now: Date): { groups: ErrorReportGroup[]; rows: ReportRow[] } {
  const groups: ErrorReportGroup[] = [];
  const due: ReportRow[] = [];
  for (const kind of errorKinds) {
    const ofKind = rows.filter((row) => row.kind === kind).sort((a, b) => a.hour.localeCompare(b.hour));
    const lastMailed = Math.max(...ofKind.map((row) => (row.mailedAt ? Date.parse(row.mailedAt) : Number.NEGATIVE_INFINITY)));
    if (Number.isFinite(lastMailed) && now.getTime() - lastMailed < errorReportIntervalMs) continue;
    const pending = ofKind.filter((row) => row.count > reportedCount(row));
    if (pending.length === 0) continue;
    const examples: string[] = [];
    for (const row of pending) {
      for (const example of examplesOf(row)) if (examples.length < maxExamples && !examples.includes(example)) examples.push(example);
    }
    groups.push({
      kind,
      count: pending.reduce((sum, row) => sum + row.count - reportedCount(row), 0),
      firstAt: pending.map((row) => row.firstAt).sort()[0] ?? '',
      lastAt: pending.map((row) => row.lastAt).sort().at(-1) ?? '',
      examples,
    });
    due.push(...pending);
  }
  return { groups, rows: due };
}

/** Mails the tenant's new errors to its error-report recipients. Mail failures leave the rows for the next run. */
export async function sendErrorReport(
  deps: ErrorReportDeps,
  tenant: { tenantId: string; displayName: string },
): Promise<ErrorReportRunResult> {
  const { tables, log } = deps;
  const { tenantId } = tenant;
  const settings = await readConnectorSettings(tables, tenantId);
  const recipients = settings.errorReportRecipients;
  const now = deps.clock.now();
  const recent = await readRecentRows(tables, tenantId, now, log);
  const cleanupAt = (): { nextDueMs?: number } => {
    const times = recent.map((row) => Date.parse(`${row.hour}:00:00.000Z`) + errorReportWindowMs + errorReportIntervalMs).filter(Number.isFinite);
    return times.length > 0 ? { nextDueMs: Math.min(...times) } : {};
  };
  if (recipients.length === 0) return { sent: false, kinds: [], recipients: 0, ...cleanupAt() };
  const { groups, rows } = dueGroups(recent, now);
  if (groups.length === 0) {
    const next = nextLookMs(recent, now);
    return { sent: false, kinds: [], recipients: recipients.length, ...(next !== undefined ? { nextDueMs: next } : {}) };
  }

  let refused = false;
  try {
    await deps.mail.send({ to: recipients, ...errorReportMail({ tenantName: tenant.displayName, groups }) });
  } catch (caught) {
    // Unavailable: the rows stay for the next run. Refused for good: marked anyway, so it is not refused every minute.
    if (isTemporary(caught)) throw caught;
    refused = true;
    log.error(`Error report of tenant ${tenantId} refused: ${toError(caught).message}; not retried.`);
  }

  const mailedAt = deps.clock.now().toISOString();
  for (const row of rows) {
    try {
      await updateEntity(
        tables.table('errorReports'),
        tenantId,
        row.rowKey,
        (current) => {
          if (!current) return undefined;
          const { partitionKey: _pk, rowKey: _rk, etag: _etag, timestamp: _ts, ...fields } = current;
          return { ...fields, mailedAt, mailedCount: Math.max(current.mailedCount ?? 0, row.count) };
        },
        { schema: errorReportSchema },
      );
    } catch (caught) {
      log.warn(`Error report ${row.rowKey} of tenant ${tenantId} was mailed but not marked: ${toError(caught).message}`);
    }
  }
  const marked = recent.map((row) =>
    rows.some((sent) => sent.rowKey === row.rowKey) ? { ...row, mailedAt, mailedCount: Math.max(row.mailedCount ?? 0, row.count) } : row,
  );
  const next = nextLookMs(marked, deps.clock.now());
  return {
    sent: !refused,
    kinds: groups.map((group) => group.kind),
    recipients: recipients.length,
    ...(next !== undefined ? { nextDueMs: next } : {}),
  };
}
