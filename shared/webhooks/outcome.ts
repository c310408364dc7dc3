/**
 * What one attempt of a delivery is, whichever message runs it (a single delivery's `attempt`, an endpoint's
 * `batch`): resolve and check the host, sign, post, classify the answer; the delivery row as the outcome leaves it;
 * and the endpoint's failing state (and 410 disabling), written only on a change.
 */
import { createHash } from 'node:crypto';
import { statusOf } from '../base/errors.js';
import type { CorePorts } from '../ports.js';
import { NO_CHANGE, updateEntity } from '../storage/index.js';
import { checkHost } from './addressGuard.js';
import { withAttempt, type DeliveryRow } from './deliveries.js';
import { endpointRowSchema, endpointsTable, type EndpointRow, type StoredEndpoint } from './endpoints.js';
import { signDelivery } from './signing.js';
import type { WebhookRuntime } from './runtime.js';

export const webhookQueueName = 'webhook-deliveries';

export type DeliveryDeps = Pick<CorePorts, 'tables' | 'clock' | 'log' | 'queues' | 'config' | 'secrets'> & { readonly webhooks: WebhookRuntime };

export type Outcome =
  | { kind: 'delivered'; statusCode: number; durationMs: number }
  | { kind: 'gone'; statusCode: number; durationMs: number }
  | { kind: 'failed'; statusCode?: number; error: string; durationMs: number };

export function hash(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 22);
}

export function delayAfter(services: Pick<DeliveryDeps, 'webhooks'>, attempt: number): number | undefined {
  return services.webhooks.retrySchedule[attempt - 1];
}

export function maxAttempts(services: Pick<DeliveryDeps, 'webhooks'>): number {
  return services.webhooks.retrySchedule.length + 1;
}

/** Resolves and checks the host, signs with `secrets` (opened by the caller) and posts once. */
export async function sendOnce(
  services: DeliveryDeps,
  endpoint: StoredEndpoint,
  secrets: readonly string[],
  payload: { eventId: string; body: string },
): Promise<Outcome> {
  const runtime = services.webhooks;
  const url = new URL(endpoint.url);
  const check = await checkHost(url, { resolver: runtime.resolver, allowedPrivateHosts: services.config.WEBHOOK_ALLOWED_PRIVATE_HOSTS });
  if (!check.ok) return { kind: 'failed', error: `refused: ${check.reason}`, durationMs: 0 };
  const address = check.addresses[0] ?? '';
  const headers = signDelivery(secrets, payload.eventId, services.clock.now(), payload.body);
  const result = await runtime.post({ url, address, headers: { ...headers }, body: payload.body, timeoutMs: runtime.timeoutMs });
  if (result.kind === 'error') {
    return { kind: 'failed', error: result.timedOut ? `no answer within ${runtime.timeoutMs / 1000} s` : result.error, durationMs: result.durationMs };
  }
  if (result.status >= 200 && result.status < 300) return { kind: 'delivered', statusCode: result.status, durationMs: result.durationMs };
  if (result.status === 410) return { kind: 'gone', statusCode: 410, durationMs: result.durationMs };
  if (result.status >= 300 && result.status < 400) {
    return { kind: 'failed', statusCode: result.status, error: 'redirect refused (redirects are not followed)', durationMs: result.durationMs };
  }
  return { kind: 'failed', statusCode: result.status, error: `answered ${result.status}`, durationMs: result.durationMs };
}

/** The delivery row after attempt `attempt` of `round` ended with `outcome` (the row must be that attempt's claim). */
export function rowAfterOutcome(
  row: DeliveryRow,
  outcome: Outcome,
  options: { at: string; round: number; attempt: number; isLast: boolean; retryAt: Date },
): DeliveryRow {
  const { nextAttemptAt: _next, ...rest } = row;
  const attempts = withAttempt(row, {
    at: options.at,
    round: options.round,
    attempt: options.attempt,
    ...(outcome.kind === 'failed' ? { error: outcome.error } : {}),
    ...(outcome.statusCode !== undefined ? { statusCode: outcome.statusCode } : {}),
    durationMs: outcome.durationMs,
  });
  if (outcome.kind === 'delivered') return { ...rest, attempts, status: 'delivered', deliveredAt: options.at };
  if (outcome.kind === 'gone') return { ...rest, attempts, status: 'failed', failedAt: options.at, failure: 'The endpoint answered 410 Gone and was disabled.' };
  if (options.isLast) return { ...rest, attempts, status: 'failed', failedAt: options.at, failure: `Every attempt failed; the last: ${outcome.error}.` };
  return { ...rest, attempts, status: 'retrying', nextAttemptAt: options.retryAt.toISOString() };
}

/** The row claimed for attempt `attempt` (an interrupted earlier attempt is recorded as such). */
export function claimedRow(row: DeliveryRow, attempt: number, now: Date, safetyAt: Date): DeliveryRow {
  const lost =
    row.status === 'sending'
      ? { attempts: withAttempt(row, { at: now.toISOString(), round: row.round, attempt: row.attempt, error: 'no outcome was recorded (the attempt was interrupted)' }) }
      : {};
  return { ...row, ...lost, status: 'sending', attempt, nextAttemptAt: safetyAt.toISOString() };
}

/** The delivery row ended without another attempt (endpoint gone or disabled, or no outcome after the last attempt). */
export function rowEnded(row: DeliveryRow, at: string, failure: string): DeliveryRow {
  const { nextAttemptAt: _next, ...kept } = row;
  return { ...kept, status: 'failed', failedAt: at, failure };
}

/** Keeps the endpoint's failing state (for health and the console) and disables it on 410; writes only on a change. */
export async function noteEndpointOutcome(
  services: DeliveryDeps,
  tenantId: string,
  endpoint: StoredEndpoint,
  outcome: Outcome,
  at: string,
): Promise<void> {
  const failing = outcome.kind !== 'delivered';
  if (outcome.kind !== 'gone' && failing === (endpoint.failingSince !== undefined)) return;
  const lastFailure = outcome.kind === 'failed' ? (outcome.statusCode !== undefined ? `${outcome.statusCode}: ${outcome.error}` : outcome.error) : outcome.kind === 'gone' ? '410: Gone' : undefined;
  const change = (row: EndpointRow): EndpointRow | typeof NO_CHANGE => {
    if (outcome.kind === 'gone') {
      if (!row.enabled) return NO_CHANGE;
      return {
        ...row,
        enabled: false,
        disabledReason: `The endpoint answered 410 Gone at ${at}.`,
        disabledAt: at,
        failingSince: row.failingSince ?? at,
        lastFailure: lastFailure ?? '410: Gone',
        updatedAt: at,
      };
    }
    if (failing) {
      if (row.failingSince !== undefined) return NO_CHANGE;
      return { ...row, failingSince: at, ...(lastFailure ? { lastFailure } : {}) };
    }
    if (row.failingSince === undefined) return NO_CHANGE;
    const { failingSince: _since, lastFailure: _last, ...cleared } = row;
    return cleared;
  };
  // The row as the caller read it is usually current: one write on its ETag, read again only when it moved.
  const { partitionKey: _pk, rowKey: _rk, etag, timestamp: _ts, ...known } = endpoint;
  const next = change(known);
  if (next === NO_CHANGE) return;
  try {
    await endpointsTable(services).updateEntity({ ...next, partitionKey: tenantId, rowKey: endpoint.rowKey }, 'Replace', { etag });
    return;
  } catch (caught) {
    if (statusOf(caught) === 404) return;
    if (statusOf(caught) !== 412) throw caught;
  }
  await updateEntity(
    endpointsTable(services),
    tenantId,
    endpoint.rowKey,
    (row) => {
      if (!row) return NO_CHANGE;
      const { partitionKey: _p, rowKey: _r, etag: _e, timestamp: _t, ...rest } = row;
      return change(rest);
    },
    { schema: endpointRowSchema },
  );
}
