/**
 * How a compliance push talks to Graph: requests go in `$batch` requests of 20, each waiting its tenant's turn
 * (roundRobin.ts), and each sub-response is read per device. A 429 is not a failure but a wait (the device comes
 * back after its Retry-After); a 404 means the device is gone from that service; anything else is an error the
 * push retries.
 */
import { z } from 'zod';
import type { Clock } from '../base/clock.js';
import type { GraphAccess } from '../graph/index.js';
import { sendBatched, type BatchOutcome, type BatchRequest, type BatchStats } from '../graph/graphBatch.js';
import type { TargetOutcome } from './plan.js';
import type { RoundRobinLimiter } from './roundRobin.js';
import { entraLookupRequest, entraWriteRequest, intuneWriteRequest, type DeviceWork } from './pushWork.js';

export interface PushSendDeps {
  readonly graph: GraphAccess;
  readonly clock: Clock;
  /** Counts of `$batch` requests sent (benchmarks and tests). */
  readonly batchStats?: BatchStats;
}

const entraLookupSchema = z.object({ value: z.array(z.object({ id: z.string() })) });

const noAnswer: BatchOutcome = { status: 0, error: 'no answer' };

function isOk(outcome: BatchOutcome): boolean {
  return outcome.status >= 200 && outcome.status < 300;
}

/** Failure of a target from a sub-response; 429 is not a failure but a wait. */
function classify(work: DeviceWork, outcome: BatchOutcome, target: 'intune' | 'entra', now: number): TargetOutcome {
  if (isOk(outcome)) return { kind: 'none' };
  if (outcome.status === 404) return { kind: 'gone' };
  if (outcome.status === 429) {
    const at = new Date(now + (outcome.retryAfterSeconds ?? 1) * 1000);
    if (!work.laterAt || work.laterAt < at) work.laterAt = at;
    work.throttled = true;
    return { kind: 'later' };
  }
  work.errors.push(`${target}: ${outcome.error ?? `answered ${outcome.status}`}`);
  return { kind: 'error' };
}

/** Sends the requests in `$batch` requests of 20, each when its tenant's turn comes; outcomes in request order. */
async function sendChunks(
  limiter: RoundRobinLimiter,
  tenantId: string,
  requests: readonly BatchRequest[],
  send: (chunk: readonly BatchRequest[]) => Promise<BatchOutcome[]>,
): Promise<BatchOutcome[]> {
  const chunks: BatchRequest[][] = [];
  for (let start = 0; start < requests.length; start += 20) chunks.push(requests.slice(start, start + 20));
  const results = await Promise.all(chunks.map((chunk) => limiter.run(tenantId, () => send(chunk))));
  return results.flat();
}

/**
 * Looks up the Entra object id of each device (by its Entra device id): found, it is kept on the work (and then on
 * the row); not found, the device is gone from Entra ID.
 */
export async function lookupEntraIds(deps: PushSendDeps, limiter: RoundRobinLimiter, tenantId: string, lookups: readonly DeviceWork[]): Promise<void> {
  const requests = lookups.map(entraLookupRequest);
  const outcomes = await limiter.run(tenantId, () =>
    sendBatched(deps.graph.graph(tenantId), requests, { concurrency: 4, ...(deps.batchStats ? { stats: deps.batchStats } : {}) }),
  );
  lookups.forEach((item, index) => {
    const outcome = outcomes[index] ?? noAnswer;
    if (isOk(outcome)) {
      const parsed = entraLookupSchema.safeParse(outcome.body);
      const id = parsed.success ? parsed.data.value[0]?.id : undefined;
      if (id) item.entraObjectId = id.toLowerCase();
      else item.entra = { kind: 'gone' };
    } else {
      item.entra = classify(item, outcome, 'entra', deps.clock.now().getTime());
    }
  });
}

export interface WriteOutcomes {
  readonly intune: readonly BatchOutcome[];
  readonly entra: readonly BatchOutcome[];
}

/** Sends the Intune and Entra writes of the devices side by side; read the answers with `readIntuneOutcomes` and `readEntraOutcomes`. */
export async function sendWrites(
  deps: PushSendDeps,
  limiter: RoundRobinLimiter,
  tenantId: string,
  intuneNow: readonly DeviceWork[],
  entraNow: readonly DeviceWork[],
): Promise<WriteOutcomes> {
  const intuneRequests = intuneNow.map(intuneWriteRequest);
  const entraRequests = entraNow.map(entraWriteRequest);
  const stats = deps.batchStats ? { stats: deps.batchStats } : {};
  const [intune, entra] = await Promise.all([
    intuneRequests.length > 0
      ? sendChunks(limiter, tenantId, intuneRequests, (chunk) => sendBatched(deps.graph.intune(tenantId), chunk, { concurrency: 1, ...stats }))
      : Promise.resolve([]),
    entraRequests.length > 0
      ? sendChunks(limiter, tenantId, entraRequests, (chunk) => sendBatched(deps.graph.graph(tenantId), chunk, { concurrency: 1, ...stats }))
      : Promise.resolve([]),
  ]);
  return { intune, entra };
}

/**
 * Reads Intune's answers into each device's work. Returns the writes that went through and, when Intune answered
 * 429, the latest moment its Retry-After asks to wait until (ms), for the tenant's write budget.
 */
export function readIntuneOutcomes(
  clock: Clock,
  intuneNow: readonly DeviceWork[],
  outcomes: readonly BatchOutcome[],
): { sent: number; throttledUntil: number | undefined } {
  let sent = 0;
  let throttledUntil: number | undefined;
  intuneNow.forEach((item, index) => {
    const outcome = outcomes[index] ?? noAnswer;
    const step = item.plan.intune;
    if (isOk(outcome) && step.kind === 'send') {
      item.intune = { kind: 'sent', value: step.value };
      sent += 1;
      return;
    }
    item.intune = classify(item, outcome, 'intune', clock.now().getTime());
    if (outcome.status === 429) {
      const until = clock.now().getTime() + (outcome.retryAfterSeconds ?? 1) * 1000;
      throttledUntil = Math.max(throttledUntil ?? 0, until);
    }
  });
  return { sent, throttledUntil };
}

/** Reads Entra ID's answers into each device's work; returns the writes that went through. */
export function readEntraOutcomes(clock: Clock, entraNow: readonly DeviceWork[], outcomes: readonly BatchOutcome[]): number {
  let sent = 0;
  entraNow.forEach((item, index) => {
    const outcome = outcomes[index] ?? noAnswer;
    const step = item.plan.entra;
    if (isOk(outcome) && step.kind === 'send') {
      item.entra = { kind: 'sent', value: step.value, attribute: step.attribute };
      sent += 1;
      return;
    }
    item.entra = classify(item, outcome, 'entra', clock.now().getTime());
  });
  return sent;
}
