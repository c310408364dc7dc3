/**
 * The limits on a tenant's webhook endpoints that hold across instances and concurrent requests, kept in rows of the
 * tenant's `webhooks` partition that sort after every endpoint (RowKey `~...`; endpoint ids are GUIDs):
 * - `~count`: `{ count }`, the number of endpoints, changed in the same transaction as the endpoint row it counts, so
 *   concurrent creates cannot pass the limit (a lost race fails on the ETag and looks again);
 * - `~test|{endpointId}`: `{ sentMs }` (JSON), the times of the endpoint's recent test events (at most 10 a minute).
 */
import { z } from 'zod';
import { statusOf } from '../base/errors.js';
import { HttpError } from '../http/problem.js';
import type { CorePorts } from '../ports.js';
import { odata, readEntity, type TransactionAction } from '../storage/index.js';

/** Endpoint rows sort before this; the limit rows after it. */
export const limitRowsFrom = '~';
const countRowKey = '~count';
const testRowKey = (endpointId: string): string => `~test|${endpointId}`;

const countSchema = z.object({ count: z.number().int().nonnegative() });
const maxAttempts = 20;

type LimitDeps = Pick<CorePorts, 'tables'>;

function webhooks(deps: LimitDeps) {
  return deps.tables.table('webhooks');
}

/** Endpoint rows of a tenant, counted (for a tenant whose count row does not exist yet). */
async function countEndpoints(deps: LimitDeps, tenantId: string): Promise<number> {
  let count = 0;
  const rows = webhooks(deps).listEntities({
    queryOptions: { filter: odata`PartitionKey eq ${tenantId} and RowKey lt ${limitRowsFrom}`, select: ['RowKey'] },
  });
  for await (const _row of rows) count += 1;
  return count;
}

/** Creates the endpoint row and counts it in one transaction; `HttpError` 409 when the tenant already has `max`. */
export async function createCounted(
  deps: LimitDeps,
  tenantId: string,
  entity: { partitionKey: string; rowKey: string } & Record<string, unknown>,
  max: number,
): Promise<void> {
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    const stored = await readEntity(webhooks(deps), countSchema, tenantId, countRowKey);
    const count = stored ? stored.count : await countEndpoints(deps, tenantId);
    if (count >= max) throw new HttpError(409, `A tenant can have at most ${max} webhook endpoints.`);
    const counter = { partitionKey: tenantId, rowKey: countRowKey, count: count + 1 };
    const actions: TransactionAction[] = [
      ['create', entity],
      stored ? ['update', counter, 'Replace', { etag: stored.etag }] : ['create', counter],
    ];
    try {
      await webhooks(deps).submitTransaction(actions);
      return;
    } catch (caught) {
      // Another create or delete changed the count first: look again.
      const status = statusOf(caught);
      if (status !== 409 && status !== 412) throw caught;
    }
  }
  throw new HttpError(503, 'Webhook endpoints are being changed by many requests at once; please retry.', { headers: { 'retry-after': '1' } });
}

/** Deletes the endpoint row and uncounts it in one transaction; false when the endpoint does not exist. */
export async function deleteCounted(deps: LimitDeps, tenantId: string, endpointId: string): Promise<boolean> {
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    const stored = await readEntity(webhooks(deps), countSchema, tenantId, countRowKey);
    const endpoint: TransactionAction = ['delete', { partitionKey: tenantId, rowKey: endpointId }];
    try {
      if (stored) {
        await webhooks(deps).submitTransaction([
          endpoint,
          ['update', { partitionKey: tenantId, rowKey: countRowKey, count: Math.max(0, stored.count - 1) }, 'Replace', { etag: stored.etag }],
        ]);
      } else {
        // Not counted yet: the first create counts the rows.
        await webhooks(deps).deleteEntity(tenantId, endpointId);
      }
      await webhooks(deps).deleteEntity(tenantId, testRowKey(endpointId)).catch(() => undefined);
      return true;
    } catch (caught) {
      const status = statusOf(caught);
      if (status === 404) return false;
      if (status !== 409 && status !== 412) throw caught;
    }
  }
  throw new HttpError(503, 'Webhook endpoints are being changed by many requests at once; please retry.', { headers: { 'retry-after': '1' } });
}

const testSchema = z.object({ sentMs: z.string() });
const sentSchema = z.array(z.number());

/**
 * Takes one of the endpoint's test events: at most `perMinute` in any 60 seconds, across instances (an ETag write of
 * the endpoint's test row). Beyond: `HttpError` 429 with `Retry-After` (seconds until the oldest leaves the minute).
 */
export async function takeTestSlot(deps: LimitDeps, tenantId: string, endpointId: string, nowMs: number, perMinute = 10): Promise<void> {
  const windowMs = 60_000;
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    const stored = await readEntity(webhooks(deps), testSchema, tenantId, testRowKey(endpointId));
    let sent: number[] = [];
    if (stored) {
      try {
        const parsed = sentSchema.safeParse(JSON.parse(stored.sentMs));
        if (parsed.success) sent = parsed.data;
      } catch {
        // An unreadable row counts as no recent tests; the write below replaces it.
      }
    }
    const recent = sent.filter((at) => at > nowMs - windowMs).sort((a, b) => a - b);
    if (recent.length >= perMinute) {
      const oldest = recent[recent.length - perMinute] ?? nowMs;
      const seconds = Math.max(1, Math.ceil((oldest + windowMs - nowMs) / 1000));
      throw new HttpError(429, `At most ${perMinute} test events a minute per endpoint; try again in ${seconds} s.`, {
        headers: { 'retry-after': String(seconds) },
      });
    }
    const row = { partitionKey: tenantId, rowKey: testRowKey(endpointId), sentMs: JSON.stringify([...recent, nowMs]) };
    try {
      if (stored) await webhooks(deps).updateEntity(row, 'Replace', { etag: stored.etag });
      else await webhooks(deps).createEntity(row);
      return;
    } catch (caught) {
      const status = statusOf(caught);
      if (status !== 409 && status !== 412) throw caught;
    }
  }
  throw new HttpError(429, 'Too many test events at once for this endpoint; try again shortly.', { headers: { 'retry-after': '1' } });
}
