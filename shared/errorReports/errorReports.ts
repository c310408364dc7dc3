/**
 * The tenant's error report: connector errors grouped by kind per hour, with a count and the first few examples.
 * Every capability records here; the tenant's mail job sends what is new to the tenant's `errorReportRecipients`.
 * Rows are keyed `{hour bucket}|{kind}`, so the rows of the last day are one RowKey range and older ones another
 * (deleted by the mail job); recording an error makes the tenant's mail job due.
 */
import { z } from 'zod';
import type { Clock } from '../base/clock.js';
import type { Logger } from '../base/logger.js';
import { updateEntity, type TableStore } from '../storage/index.js';
import { markDue } from '../jobs/dueIndex.js';

export const errorKinds = [
  'dead-letter',
  'graph',
  'token',
  'enrollment-group',
  'connector-heartbeat',
  'compliance',
  'connector-health',
] as const;
export type ErrorKind = (typeof errorKinds)[number];

export const maxExamples = 5;

export const errorReportSchema = z.object({
  kind: z.enum(errorKinds),
  hour: z.string(),
  count: z.number().int(),
  firstAt: z.string(),
  lastAt: z.string(),
  /** JSON array of the first distinct example messages. */
  examples: z.string(),
  mailedAt: z.string().optional(),
  mailedCount: z.number().int().optional(),
});
export type ErrorReportRow = z.infer<typeof errorReportSchema>;

export interface ErrorToRecord {
  readonly kind: ErrorKind;
  /** What happened, for an admin: no tokens, secrets or stack traces. */
  readonly message: string;
}

/** `2026-11-22T09` for a time: the dedup bucket. */
export function hourBucket(at: Date): string {
  return at.toISOString().slice(0, 13);
}

export function errorReportRowKey(kind: ErrorKind, at: Date): string {
  return `${hourBucket(at)}|${kind}`;
}

const bearer = /\b(Bearer\s+)[A-Za-z0-9\-._~+/]+=*/gi;
const jwt = /\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
const secretParameter = /\b(client_secret|client_assertion|code|sig|AccountKey|SharedAccessKey)=([^&;\s]+)/gi;

/** Removes anything that looks like a credential from a message before it is stored or mailed. */
export function redact(message: string): string {
  return message
    .replace(bearer, '$1[redacted]')
    .replace(jwt, '[redacted-token]')
    .replace(secretParameter, '$1=[redacted]')
    .slice(0, 500);
}

export function examplesOf(row: Pick<ErrorReportRow, 'examples'>): string[] {
  const parsed = z.array(z.string()).safeParse(JSON.parse(row.examples));
  return parsed.success ? parsed.data : [];
}

/**
 * Records an error for a tenant. Never throws: a failure to record is logged, so error reporting cannot break the
 * work that hit the error.
 */
export async function recordError(
  services: { tables: TableStore; clock: Clock; log: Logger },
  tenantId: string,
  error: ErrorToRecord,
): Promise<void> {
  const now = services.clock.now();
  const at = now.toISOString();
  const message = redact(error.message);
  try {
    await updateEntity(
      services.tables.table('errorReports'),
      tenantId,
      errorReportRowKey(error.kind, now),
      (current) => {
        if (!current) {
          return { kind: error.kind, hour: hourBucket(now), count: 1, firstAt: at, lastAt: at, examples: JSON.stringify([message]) };
        }
        const examples = examplesOf(current);
        if (examples.length < maxExamples && !examples.includes(message)) examples.push(message);
        const { partitionKey: _pk, rowKey: _rk, etag: _etag, timestamp: _ts, ...row } = current;
        return { ...row, count: current.count + 1, lastAt: at, examples: JSON.stringify(examples) };
      },
      { schema: errorReportSchema },
    );
  } catch (caught) {
    services.log.error(`Could not record a ${error.kind} error for tenant ${tenantId}: ${String(caught)}`);
    return;
  }
  try {
    await markDue(services.tables, tenantId, 'mail', now.getTime());
  } catch (caught) {
    services.log.warn(`Could not make the mail of tenant ${tenantId} due: ${String(caught)}`);
  }
}
