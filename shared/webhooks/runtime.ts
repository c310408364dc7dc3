/**
 * Per-process parts of webhook delivery: how hosts are resolved, how a signed request is posted, the retry schedule,
 * and the attempts in flight (bounded per process, per tenant and per endpoint, so one slow endpoint or tenant cannot
 * take every socket). An attempt ends within the time-out whatever the endpoint does: connecting, answering and
 * sending its body all count, and at the deadline the request is aborted and its socket destroyed.
 */
import { Agent, request } from 'node:https';
import { isIP } from 'node:net';
import { LRUCache } from 'lru-cache';
import { systemResolver, type HostResolver } from './addressGuard.js';
import { settlesWithin } from '../base/settlesWithin.js';

export interface PostRequest {
  readonly url: URL;
  /** The checked address to connect to: the host name is used only for TLS (SNI, certificate) and the Host header. */
  readonly address: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly timeoutMs: number;
}

export type PostResult =
  | { readonly kind: 'answer'; readonly status: number; readonly location?: string; readonly durationMs: number }
  | { readonly kind: 'error'; readonly error: string; readonly timedOut: boolean; readonly durationMs: number };

/** Posts a delivery. A port: tests and the bench use the real one against local HTTPS receivers. */
export type WebhookPoster = (request: PostRequest) => Promise<PostResult>;

/** Waits after each failed attempt: the first retry 5 s after a failure, the last about 24 h after the first try. */
export const defaultRetrySchedule: readonly number[] = [
  5_000,
  60_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  8 * 3_600_000,
  8 * 3_600_000,
];

export interface WebhookRuntime {
  readonly resolver: HostResolver;
  readonly post: WebhookPoster;
  /** An attempt (connect, answer, body) ends within this (10 s). */
  readonly timeoutMs: number;
  /** How far past the time-out the next attempt is scheduled before an attempt runs (the safety net). */
  readonly safetyMarginMs: number;
  /**
   * When an attempt put back for lack of a free slot comes again (1 s): its durable retry. A batch put back also
   * starts here as soon as a slot frees before then.
   */
  readonly deferMs: number;
  /** Wait after failed attempt n (index n-1); its length + 1 is the number of attempts. */
  readonly retrySchedule: readonly number[];
  /** Attempts in flight at most, per process, per tenant and per endpoint; beyond them an attempt is put back briefly. */
  readonly maxInFlight: number;
  readonly maxInFlightPerTenant: number;
  readonly maxInFlightPerEndpoint: number;
  /** Counts attempts in flight; false when a limit is reached (the caller defers the attempt). */
  tryAcquire(tenantId: string, endpointKey: string): boolean;
  /** Takes as many slots as the limits allow, up to `wanted` (a batch's posts share them); 0 when none is free. */
  tryAcquireUpTo(tenantId: string, endpointKey: string, wanted: number): number;
  release(tenantId: string, endpointKey: string): void;
  /**
   * Resolves true as soon as a slot is released after this call (any slot: the caller tries to acquire again), or
   * false after `withinMs`: how a batch put back for lack of a slot starts the moment one frees instead of when its
   * deferred message comes.
   */
  whenSlotFrees(withinMs: number): Promise<boolean>;
  /** Whether an attempt for the endpoint would get a slot now (nothing is taken). */
  hasFreeSlot(tenantId: string, endpointKey: string): boolean;
  /** Keeps a background attempt, so `idle()` can wait for it. */
  track(task: Promise<unknown>): void;
  /** Resolves once no attempt is in flight. */
  idle(): Promise<void>;
  readonly stats: { attempts: number; deferred: number };
  /**
   * Scheduled batch messages (by message id) this process knows have nothing left to do: every row of the batch
   * ended or has its own retry message. When one comes, it is dropped without reading its rows.
   */
  readonly settled: { has(messageId: string): boolean; add(messageId: string): void };
}

export interface WebhookRuntimeOptions {
  resolver?: HostResolver;
  post?: WebhookPoster;
  timeoutMs?: number;
  safetyMarginMs?: number;
  deferMs?: number;
  retrySchedule?: readonly number[];
  maxInFlight?: number;
  maxInFlightPerTenant?: number;
  maxInFlightPerEndpoint?: number;
}

/** Sockets per endpoint (host and port) as many as the attempts in flight per endpoint; kept alive between posts. */
const agent = new Agent({ keepAlive: true, maxSockets: 64, maxTotalSockets: 1024 });

/** Most of an answer's body read (and dropped); beyond it the connection is closed. */
const maxBodyBytes = 64 * 1024;

/**
 * POST over HTTPS to the checked address; redirects are not followed (a 3xx is an answer like any other). The result
 * comes once the answer's body has ended (so the attempt's slot covers its socket) or at the deadline, whichever is
 * first: at the deadline the request is aborted and its socket destroyed, whether the endpoint is still silent or
 * still trickling its body. An answer whose status came in time counts as that status.
 */
export const httpsPoster: WebhookPoster = (post) =>
  new Promise((resolve) => {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    const family = isIP(post.address) === 6 ? 6 : 4;
    let settled = false;
    let answer: { status: number; location?: string; durationMs: number } | undefined;
    const finish = (result: PostResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const answered = (): void => {
      if (answer) finish({ kind: 'answer', ...answer });
    };
    const req = request(
      post.url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(post.body)), 'user-agent': 'MTD-Connector-Webhooks/1', ...post.headers },
        // Connect to the address that was checked, whatever the name resolves to now.
        lookup: (_hostname, options, callback) => {
          if ((options as { all?: boolean }).all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: post.address, family }]);
          else (callback as (e: null, a: string, f: number) => void)(null, post.address, family);
        },
      },
      (response) => {
        const location = response.headers.location;
        answer = { status: response.statusCode ?? 0, ...(location ? { location } : {}), durationMs: elapsed() };
        // Read and drop the body (bounded) so the connection can be reused; its end ends the attempt.
        let received = 0;
        response.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > maxBodyBytes) {
            response.destroy();
            answered();
          }
        });
        response.on('end', answered);
        response.on('close', answered);
        response.on('error', answered);
      },
    );
    const timer = setTimeout(() => {
      // The whole attempt is over: abort the request and destroy its socket (never returned to the pool).
      req.socket?.destroy();
      req.destroy();
      if (answer) finish({ kind: 'answer', ...answer });
      else finish({ kind: 'error', error: `no answer within ${post.timeoutMs} ms`, timedOut: true, durationMs: elapsed() });
    }, post.timeoutMs);
    req.on('error', (error) => {
      if (answer) answered();
      else finish({ kind: 'error', error: error.message.slice(0, 300), timedOut: false, durationMs: elapsed() });
    });
    req.end(post.body);
  });

/** The slot key of an endpoint's attempts (`endpointKey` of the methods below). */
export function endpointSlot(tenantId: string, endpointId: string): string {
  return `${tenantId}|${endpointId}`;
}

export function createWebhookRuntime(options: WebhookRuntimeOptions = {}): WebhookRuntime {
  const perEndpoint = new Map<string, number>();
  const perTenant = new Map<string, number>();
  const tasks = new Set<Promise<unknown>>();
  let total = 0;
  const maxInFlight = options.maxInFlight ?? 1024;
  // A tenant's share: however many endpoints it has and however slow they are, the rest stays for other tenants.
  // An endpoint's share keeps up with a tenant's events at the agent API's full rate (≈ 500 a second) at an
  // answer time of about 100 ms.
  const maxInFlightPerTenant = options.maxInFlightPerTenant ?? 128;
  const maxInFlightPerEndpoint = options.maxInFlightPerEndpoint ?? 64;
  const down = (counts: Map<string, number>, key: string): void => {
    const current = (counts.get(key) ?? 1) - 1;
    if (current <= 0) counts.delete(key);
    else counts.set(key, current);
  };
  const stats = { attempts: 0, deferred: 0 };
  /** Slots an attempt for the endpoint could take now: the least room left under the three caps. */
  const freeFor = (tenantId: string, endpointKey: string): number =>
    Math.min(maxInFlight - total, maxInFlightPerTenant - (perTenant.get(tenantId) ?? 0), maxInFlightPerEndpoint - (perEndpoint.get(endpointKey) ?? 0));
  const acquireUpTo = (tenantId: string, endpointKey: string, wanted: number): number => {
    const free = Math.min(wanted, freeFor(tenantId, endpointKey));
    if (free <= 0) {
      stats.deferred += 1;
      return 0;
    }
    total += free;
    perTenant.set(tenantId, (perTenant.get(tenantId) ?? 0) + free);
    perEndpoint.set(endpointKey, (perEndpoint.get(endpointKey) ?? 0) + free);
    stats.attempts += free;
    return free;
  };
  let slotFreed: { promise: Promise<void>; resolve: () => void } | undefined;
  // The latest a batch's next attempt is scheduled is the longest retry wait after its time-outs: a day covers it.
  const settled = new LRUCache<string, true>({ max: 100_000, ttl: 26 * 3_600_000 });
  return {
    resolver: options.resolver ?? systemResolver,
    post: options.post ?? httpsPoster,
    timeoutMs: options.timeoutMs ?? 10_000,
    safetyMarginMs: options.safetyMarginMs ?? 5_000,
    deferMs: options.deferMs ?? 1_000,
    retrySchedule: options.retrySchedule ?? defaultRetrySchedule,
    maxInFlight,
    maxInFlightPerTenant,
    maxInFlightPerEndpoint,
    tryAcquire: (tenantId, endpointKey) => acquireUpTo(tenantId, endpointKey, 1) === 1,
    tryAcquireUpTo: acquireUpTo,
    release(tenantId, endpointKey) {
      total = Math.max(0, total - 1);
      down(perTenant, tenantId);
      down(perEndpoint, endpointKey);
      const waiting = slotFreed;
      slotFreed = undefined;
      waiting?.resolve();
    },
    hasFreeSlot: (tenantId, endpointKey) => freeFor(tenantId, endpointKey) > 0,
    whenSlotFrees(withinMs) {
      if (!slotFreed) {
        let resolve = (): void => undefined;
        const promise = new Promise<void>((done) => {
          resolve = done;
        });
        slotFreed = { promise, resolve };
      }
      return settlesWithin(slotFreed.promise, withinMs);
    },
    track(task) {
      const kept = task.catch(() => undefined).finally(() => tasks.delete(kept));
      tasks.add(kept);
    },
    async idle() {
      while (tasks.size > 0) await Promise.all([...tasks]);
    },
    stats,
    settled: {
      has: (messageId) => settled.has(messageId),
      add: (messageId) => {
        settled.set(messageId, true);
      },
    },
  };
}
