/**
 * Per-process parts of webhook delivery: how hosts are resolved, how a signed request is posted, the retry schedule,
 * and the attempts in flight (bounded per process and per endpoint, so one slow endpoint cannot take every socket).
 */
import { Agent, request } from 'node:https';
import { isIP } from 'node:net';
import { systemResolver, type HostResolver } from './addressGuard.js';

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
  /** An answer must start within this (10 s). */
  readonly timeoutMs: number;
  /** How far past the time-out the next attempt is scheduled before an attempt runs (the safety net). */
  readonly safetyMarginMs: number;
  /** Wait after failed attempt n (index n-1); its length + 1 is the number of attempts. */
  readonly retrySchedule: readonly number[];
  /** Attempts in flight at most, per process and per endpoint; beyond them an attempt is put back briefly. */
  readonly maxInFlight: number;
  readonly maxInFlightPerEndpoint: number;
  /** Counts attempts in flight; false when a limit is reached (the caller defers the attempt). */
  tryAcquire(endpointKey: string): boolean;
  release(endpointKey: string): void;
  /** Keeps a background attempt, so `idle()` can wait for it. */
  track(task: Promise<unknown>): void;
  /** Resolves once no attempt is in flight. */
  idle(): Promise<void>;
  readonly stats: { attempts: number; deferred: number };
}

export interface WebhookRuntimeOptions {
  resolver?: HostResolver;
  post?: WebhookPoster;
  timeoutMs?: number;
  safetyMarginMs?: number;
  retrySchedule?: readonly number[];
  maxInFlight?: number;
  maxInFlightPerEndpoint?: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: 16, maxTotalSockets: 512 });

/** POST over HTTPS to the checked address; redirects are not followed (a 3xx is an answer like any other). */
export const httpsPoster: WebhookPoster = (post) =>
  new Promise((resolve) => {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    const family = isIP(post.address) === 6 ? 6 : 4;
    let settled = false;
    const finish = (result: PostResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
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
        finish({ kind: 'answer', status: response.statusCode ?? 0, ...(location ? { location } : {}), durationMs: elapsed() });
        // Read and drop the body (bounded) so the connection can be reused.
        let received = 0;
        response.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > 64 * 1024) response.destroy();
        });
        response.on('error', () => undefined);
      },
    );
    const timer = setTimeout(() => {
      finish({ kind: 'error', error: `no answer within ${post.timeoutMs} ms`, timedOut: true, durationMs: elapsed() });
      req.destroy();
    }, post.timeoutMs);
    req.on('error', (error) => finish({ kind: 'error', error: error.message.slice(0, 300), timedOut: false, durationMs: elapsed() }));
    req.end(post.body);
  });

export function createWebhookRuntime(options: WebhookRuntimeOptions = {}): WebhookRuntime {
  const perEndpoint = new Map<string, number>();
  const tasks = new Set<Promise<unknown>>();
  let total = 0;
  const maxInFlight = options.maxInFlight ?? 256;
  const maxInFlightPerEndpoint = options.maxInFlightPerEndpoint ?? 16;
  const stats = { attempts: 0, deferred: 0 };
  return {
    resolver: options.resolver ?? systemResolver,
    post: options.post ?? httpsPoster,
    timeoutMs: options.timeoutMs ?? 10_000,
    safetyMarginMs: options.safetyMarginMs ?? 5_000,
    retrySchedule: options.retrySchedule ?? defaultRetrySchedule,
    maxInFlight,
    maxInFlightPerEndpoint,
    tryAcquire(endpointKey) {
      const current = perEndpoint.get(endpointKey) ?? 0;
      if (total >= maxInFlight || current >= maxInFlightPerEndpoint) {
        stats.deferred += 1;
        return false;
      }
      total += 1;
      perEndpoint.set(endpointKey, current + 1);
      stats.attempts += 1;
      return true;
    },
    release(endpointKey) {
      total = Math.max(0, total - 1);
      const current = (perEndpoint.get(endpointKey) ?? 1) - 1;
      if (current <= 0) perEndpoint.delete(endpointKey);
      else perEndpoint.set(endpointKey, current);
    },
    track(task) {
      const kept = task.catch(() => undefined).finally(() => tasks.delete(kept));
      tasks.add(kept);
    },
    async idle() {
      while (tasks.size > 0) await Promise.all([...tasks]);
    },
    stats,
  };
}
