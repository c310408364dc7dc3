/**
 * The local function host: serves `functions/catalog.ts` as the Azure Functions host would, on one machine.
 * - HTTP functions: routes under the route prefix (`api`), real `HttpRequest`/`InvocationContext` objects of
 *   @azure/functions, `authLevel: 'function'` checked against the function key, bodies capped.
 * - Timer functions: on their NCRONTAB schedules (UTC), never overlapping themselves.
 * - Service Bus queue functions: each queue is a `LocalQueue`; the services send to the same queues.
 * - Dev-only control routes outside the prefix, behind the function key:
 *   `POST /_dev/timers/{name}`, `GET /_dev/queues`, `GET /_dev/queues/{name}`, `POST /_dev/queues/{name}/messages`,
 *   `POST /_dev/queues/{name}/drain`.
 * One log line per event; never headers or bodies.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { format } from 'node:util';
import functions from '@azure/functions';
import type { Cookie, HttpRequestInit, HttpResponseInit, InvocationContext, LogHandler, Timer } from '@azure/functions';
import { z } from 'zod';
import { registeredAuthLevel, type CatalogEntry, type HttpFunction, type HttpFunctionHandler, type TimerFunction } from '../../functions/handlers.js';
import { toError } from '../../shared/base/errors.js';
import { problem, type HttpResult } from '../../shared/http/problem.js';
import { defaultMaxBodyBytes as routeDefaultMaxBodyBytes } from '../../shared/http/request.js';
import type { QueueSenders } from '../../shared/queues/queue.js';
import type { Services } from '../../shared/app/services.js';
import { BufferedRequest } from './bufferedRequest.js';
import { guarded, requestUrl } from './guard.js';
import { readHostJson } from './hostJson.js';
import { nextOccurrence, parseNcrontab, resolveSchedule, type NcrontabSchedule } from './timerSchedule.js';
import { LocalQueue, type LocalQueueOptions } from './queue.js';
import { RouteTable } from './routes.js';

const { HttpRequest, HttpResponse, InvocationContext: Context } = functions;

export interface StartHostOptions {
  /** Default 7071; 0 picks a free port. */
  port?: number;
  /** Interface to listen on. Default 127.0.0.1 (loopback only). */
  host?: string;
  catalog: readonly CatalogEntry[];
  /** The services, or a factory that receives the senders of the host's queues (called once, during start-up). */
  services: Services | ((queues: QueueSenders) => Services);
  /** The key `authLevel: 'function'` routes and the `/_dev` routes require (`x-functions-key` or `?code=`). */
  functionKey: string;
  /** App settings, for `%SETTING%` schedules. */
  settings: Readonly<Record<string, string | undefined>>;
  /** One line per event. Default: console.log. */
  log?: (line: string) => void;
  /** Run timers on their schedules. Default true; `fireTimer` works either way. */
  timers?: boolean;
  /**
   * Largest request body accepted on any route. Default 1 MiB; larger ones get 413. A function's route reads no
   * further than its own limit (64 KiB on device routes, 256 KiB elsewhere unless the route says), as it does in Azure.
   */
  maxBodyBytes?: number;
  /** Overrides host.json's route prefix (`api`). */
  routePrefix?: string;
  /** Tuning of every LocalQueue (retry delay, batch size, lock duration...). */
  queue?: Partial<Omit<LocalQueueOptions, 'name' | 'handler' | 'functionName' | 'persistFile' | 'log'>>;
  /** Folder where queues keep their messages across restarts (`<dir>/<queue>.json`). None by default. */
  queueStateDir?: string;
  /**
   * Browser origins allowed to call the API (the web console's), as the Functions platform's CORS setting
   * (`Host.CORS` locally, the function app's CORS in Azure): preflights are answered and responses carry
   * `Access-Control-Allow-Origin` for these origins only. None by default.
   */
  corsOrigins?: readonly string[];
}

export interface LocalHost {
  /** `http://localhost:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Every queue by name: those of the catalog's queue functions, and any the services sent to. */
  readonly queues: Map<string, LocalQueue>;
  /** Runs a timer function now (after a run in progress ends) and resolves when it completes; rejects with its error. */
  fireTimer(name: string): Promise<void>;
  /** Stops timers, queues (waiting for work in flight) and the server. */
  close(): Promise<void>;
}

export const defaultMaxBodyBytes = 1024 * 1024;

class BodyTooLarge extends Error {
  readonly code = 'ERR_BODY_TOO_LARGE';
}

/**
 * What the host still reads (and drops) of a body it has refused, so a client that sent it whole reads the 413 instead
 * of a reset connection; beyond it, the connection is closed.
 */
const refusedBodyDrainBytes = 1024 * 1024;

/** Drops the rest of a refused body, up to `refusedBodyDrainBytes`, then closes the connection. */
function drainRefused(request: IncomingMessage, alreadyRead: number): void {
  let dropped = 0;
  request.removeAllListeners('data');
  request.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (alreadyRead + dropped > refusedBodyDrainBytes) request.socket.destroy();
  });
  request.resume();
}

function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? '0');
  if (Number.isFinite(declared) && declared > maxBytes) {
    drainRefused(request, 0);
    return Promise.reject(new BodyTooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    request.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > maxBytes) {
        done = true;
        chunks.length = 0;
        // Refused as soon as the limit is passed, before the rest arrives.
        reject(new BodyTooLarge());
        drainRefused(request, size);
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks));
    });
    request.on('error', (error) => {
      if (done) return;
      done = true;
      reject(error);
    });
  });
}

function headerRecord(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === 'string') headers[name] = value;
    else if (Array.isArray(value)) headers[name] = value.join(', ');
  }
  return headers;
}

function keyMatches(presented: string | null | undefined, expected: string): boolean {
  if (!presented) return false;
  const a = Buffer.from(presented, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

function serializeCookie(cookie: Cookie): string {
  const parts = [`${cookie.name}=${cookie.value}`];
  if (cookie.domain) parts.push(`Domain=${cookie.domain}`);
  if (cookie.path) parts.push(`Path=${cookie.path}`);
  if (cookie.expires !== undefined) parts.push(`Expires=${new Date(cookie.expires).toUTCString()}`);
  if (cookie.maxAge !== undefined) parts.push(`Max-Age=${cookie.maxAge}`);
  if (cookie.secure) parts.push('Secure');
  if (cookie.httpOnly) parts.push('HttpOnly');
  if (cookie.sameSite) parts.push(`SameSite=${cookie.sameSite}`);
  return parts.join('; ');
}

interface Written {
  status: number;
}

/**
 * A JSON result with plain headers and no cookies (what every route of ours returns) is written directly: the
 * bytes are the ones `HttpResponse` would produce (JSON text, `application/json` unless set), without building
 * a fetch `Response` and reading it back through a stream for each request.
 */
function writeJsonResult(response: ServerResponse, result: HttpResponseInit): Written | undefined {
  const { status = 200, headers: given, body, cookies } = result;
  const jsonBody: unknown = result.jsonBody;
  if (jsonBody === undefined || body !== undefined || (cookies !== undefined && cookies.length > 0)) return undefined;
  if (given !== undefined && (given instanceof Headers || Array.isArray(given))) return undefined;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(given ?? {})) headers[name.toLowerCase()] = value;
  headers['content-type'] ??= 'application/json';
  // A string body goes out in one write with the head.
  const payload = JSON.stringify(jsonBody);
  headers['content-length'] = String(Buffer.byteLength(payload, 'utf8'));
  response.writeHead(status, headers);
  response.end(payload, 'utf8');
  return { status };
}

function isChunkStream(body: unknown): body is AsyncIterable<Uint8Array> {
  return typeof body === 'object' && body !== null && Symbol.asyncIterator in body && !(body instanceof Blob);
}

/**
 * A body of chunks (a streamed export) is written as it is produced, chunked, waiting for the socket to drain, as the
 * Functions host does with `enableHttpStream`: the host never holds the whole body.
 */
async function writeStreamResult(response: ServerResponse, result: HttpResponseInit, body: AsyncIterable<Uint8Array>): Promise<Written> {
  const status = result.status ?? 200;
  const headers: Record<string, string> = {};
  const given = result.headers;
  if (given instanceof Headers) given.forEach((value, name) => (headers[name] = value));
  else if (Array.isArray(given)) for (const [name, value] of given) headers[name.toLowerCase()] = value;
  else for (const [name, value] of Object.entries(given ?? {})) headers[name.toLowerCase()] = value;
  response.writeHead(status, headers);
  for await (const chunk of body) {
    if (response.destroyed) break;
    if (!response.write(chunk)) await new Promise<void>((resolve) => response.once('drain', resolve).once('close', resolve));
  }
  response.end();
  return { status };
}

async function writeResult(response: ServerResponse, result: HttpResponseInit | InstanceType<typeof HttpResponse>): Promise<Written> {
  if (!(result instanceof HttpResponse) && isChunkStream(result.body)) return writeStreamResult(response, result, result.body);
  const direct = result instanceof HttpResponse ? undefined : writeJsonResult(response, result);
  if (direct) return direct;
  const native = result instanceof HttpResponse ? result : new HttpResponse(result);
  const headers: Record<string, string | string[]> = {};
  native.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const setCookies = native.headers.getSetCookie();
  const cookies = [...setCookies, ...native.cookies.map(serializeCookie)];
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  const body = Buffer.from(await native.arrayBuffer());
  headers['content-length'] = String(body.length);
  response.writeHead(native.status, headers);
  response.end(body);
  return { status: native.status };
}

async function writeProblem(response: ServerResponse, result: HttpResult): Promise<Written> {
  return writeResult(response, result);
}

const devMessageSchema = z.object({
  messageId: z.string().min(1),
  body: z.unknown(),
  scheduledEnqueueTimeUtc: z.iso.datetime({ offset: true }).optional(),
});
const devMessagesSchema = z.union([devMessageSchema, z.array(devMessageSchema)]);

type DevRoute = 'fireTimer' | 'listQueues' | 'getQueue' | 'sendMessages' | 'drainQueue';

/** Starts the local host. Throws at start-up on a bad route template or schedule, as the Functions host would. */
export async function startHost(options: StartHostOptions): Promise<LocalHost> {
  const log = options.log ?? ((line: string) => console.log(line));
  const hostJson = readHostJson();
  const routePrefix = options.routePrefix ?? hostJson.routePrefix;
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes;
  const runTimers = options.timers ?? true;

  const contextLog =
    (functionName: string): LogHandler =>
    (level, ...args) => {
      const text = format(...args);
      if (level === 'none') return;
      log(`  [${functionName}] ${level === 'information' ? '' : `${level}: `}${text}`);
    };

  // ---- queues --------------------------------------------------------------------------------------------------
  const queues = new Map<string, LocalQueue>();
  const queueOptions = (name: string): LocalQueueOptions => ({
    maxBatchSize: hostJson.maxMessageBatchSize,
    ...options.queue,
    name,
    log,
    ...(options.queueStateDir ? { persistFile: join(options.queueStateDir, `${encodeURIComponent(name)}.json`) } : {}),
  });
  const queueFor = (name: string): LocalQueue => {
    let queue = queues.get(name);
    if (!queue) {
      queue = new LocalQueue(queueOptions(name));
      queues.set(name, queue);
    }
    return queue;
  };
  const senders: QueueSenders = (name) => queueFor(name);

  let services: Services | undefined;
  const getServices = (): Services =>
    (services ??= typeof options.services === 'function' ? options.services(senders) : options.services);

  function once<T>(build: () => T): () => T {
    let built: { value: T } | undefined;
    return () => (built ??= { value: build() }).value;
  }

  // ---- HTTP functions ------------------------------------------------------------------------------------------
  const httpEntries = options.catalog.filter((entry): entry is HttpFunction => entry.kind === 'http');
  const httpHandlers = new Map<string, () => HttpFunctionHandler>(
    httpEntries.map((entry) => [entry.name, once(() => entry.handler(getServices()))]),
  );
  const routes = new RouteTable(
    httpEntries.map((entry) => ({ method: entry.route.method, template: entry.route.route, value: entry })),
    { prefix: routePrefix },
  );
  const devRoutes = new RouteTable<DevRoute>(
    [
      { method: 'POST', template: 'timers/{name}', value: 'fireTimer' },
      { method: 'GET', template: 'queues', value: 'listQueues' },
      { method: 'GET', template: 'queues/{name}', value: 'getQueue' },
      { method: 'POST', template: 'queues/{name}/messages', value: 'sendMessages' },
      { method: 'POST', template: 'queues/{name}/drain', value: 'drainQueue' },
    ],
    { prefix: '_dev' },
  );

  // ---- timers --------------------------------------------------------------------------------------------------
  interface TimerState {
    readonly entry: TimerFunction;
    readonly schedule: NcrontabSchedule;
    readonly handler: () => ReturnType<TimerFunction['handler']>;
    running: Promise<void> | undefined;
    last: Date | undefined;
    next: Date;
    timeout: NodeJS.Timeout | undefined;
  }
  const timers = new Map<string, TimerState>();
  for (const entry of options.catalog) {
    if (entry.kind !== 'timer') continue;
    const schedule = parseNcrontab(resolveSchedule(entry.schedule, options.settings));
    timers.set(entry.name, {
      entry,
      schedule,
      handler: once(() => entry.handler(getServices())),
      running: undefined,
      last: undefined,
      next: nextOccurrence(schedule, new Date()),
      timeout: undefined,
    });
  }

  let closing = false;

  async function runTimer(state: TimerState, isPastDue: boolean): Promise<void> {
    const timer: Timer = {
      isPastDue,
      schedule: { adjustForDST: true },
      scheduleStatus: {
        last: (state.last ?? new Date('0001-01-01T00:00:00Z')).toISOString(),
        next: state.next.toISOString(),
        lastUpdated: new Date().toISOString(),
      },
    };
    const context = new Context({
      invocationId: randomUUID(),
      functionName: state.entry.name,
      logHandler: contextLog(state.entry.name),
      options: { trigger: { type: 'timerTrigger', name: 'timer', schedule: state.entry.schedule } },
    });
    const started = Date.now();
    state.last = new Date(started);
    try {
      await state.handler()(timer, context);
      log(`TIMER ${state.entry.name} ok ${Date.now() - started}ms`);
    } catch (error) {
      const failure = toError(error);
      log(`TIMER ${state.entry.name} failed ${Date.now() - started}ms: ${failure.name}: ${failure.message}`);
      throw failure;
    }
  }

  /** Runs after any run in progress; never two runs of one timer at once. */
  function enqueueRun(state: TimerState, isPastDue: boolean): Promise<void> {
    const previous = state.running ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => runTimer(state, isPastDue));
    const tracked = run.finally(() => {
      if (state.running === tracked) state.running = undefined;
    });
    state.running = tracked;
    tracked.catch(() => undefined);
    return run;
  }

  function arm(state: TimerState): void {
    if (closing) return;
    const delay = state.next.getTime() - Date.now();
    state.timeout = setTimeout(
      () => {
        state.timeout = undefined;
        if (state.next.getTime() > Date.now()) {
          arm(state);
          return;
        }
        // An occurrence due while the previous run is still going starts when it ends, as past due.
        const pastDue = state.running !== undefined;
        void enqueueRun(state, pastDue)
          .catch(() => undefined)
          .finally(() => {
            state.next = nextOccurrence(state.schedule, new Date());
            arm(state);
          });
      },
      Math.max(0, Math.min(delay, 2_000_000_000)),
    );
    state.timeout.unref();
  }

  // ---- queue functions -----------------------------------------------------------------------------------------
  for (const entry of options.catalog) {
    if (entry.kind !== 'serviceBusQueue') continue;
    const handler = once(() => entry.handler(getServices()));
    const queue = new LocalQueue({
      ...queueOptions(entry.queueName),
      cardinality: entry.cardinality,
      maxConcurrentCalls: hostJson.maxConcurrentCalls,
      functionName: entry.name,
      logHandler: contextLog(entry.name),
      handler: (messages, context: InvocationContext) => handler()(messages, context),
    });
    queues.set(entry.queueName, queue);
  }

  // Queues saved by an earlier run that no function consumes keep their messages too.
  if (options.queueStateDir) {
    const files = await readdir(options.queueStateDir).catch(() => [] as string[]);
    for (const file of files) {
      if (!file.endsWith('.json')) continue;
      let name: string;
      try {
        name = decodeURIComponent(file.slice(0, -'.json'.length));
      } catch {
        continue;
      }
      if (!queues.has(name)) queueFor(name);
    }
  }

  // The services are built once, at start-up, so a bad setting or adapter stops the host before it listens.
  getServices();

  // ---- request handling ----------------------------------------------------------------------------------------
  async function handleDev(request: IncomingMessage, response: ServerResponse, url: URL): Promise<Written> {
    const matched = devRoutes.match(request.method ?? 'GET', url.pathname);
    if (matched.kind === 'notFound') return writeProblem(response, problem(404, `No dev route ${url.pathname}.`));
    if (matched.kind === 'methodNotAllowed') {
      return writeProblem(response, problem(405, `Use ${matched.allow.join(', ')}.`, { headers: { allow: matched.allow.join(', ') } }));
    }
    if (!keyMatches(request.headers['x-functions-key']?.toString() ?? url.searchParams.get('code'), options.functionKey)) {
      return writeProblem(response, problem(401, 'The /_dev routes require the function key (x-functions-key or ?code=).'));
    }
    const name = matched.params.name ?? '';
    switch (matched.value) {
      case 'fireTimer': {
        const state = [...timers.values()].find((candidate) => candidate.entry.name.toLowerCase() === name.toLowerCase());
        if (!state) return writeProblem(response, problem(404, `No timer function named ${name}.`));
        const started = Date.now();
        try {
          await enqueueRun(state, false);
        } catch (error) {
          const failure = toError(error);
          return writeProblem(response, problem(500, `Timer ${state.entry.name} failed: ${failure.name}: ${failure.message}`));
        }
        return writeResult(response, { status: 200, jsonBody: { name: state.entry.name, status: 'ok', durationMs: Date.now() - started } });
      }
      case 'listQueues':
        return writeResult(response, {
          status: 200,
          jsonBody: { value: [...queues.values()].map((queue) => ({ name: queue.name, counts: queue.counts() })) },
        });
      case 'getQueue': {
        const queue = queues.get(name);
        if (!queue) return writeProblem(response, problem(404, `No queue named ${name}.`));
        const snapshot = queue.snapshot();
        return writeResult(response, {
          status: 200,
          jsonBody: { name: queue.name, counts: queue.counts(), ...snapshot },
        });
      }
      case 'sendMessages': {
        let body: Buffer;
        try {
          body = await readBody(request, maxBodyBytes);
        } catch (error) {
          if (error instanceof BodyTooLarge) return writeProblem(response, problem(413, `The body is larger than ${maxBodyBytes} bytes.`));
          throw error;
        }
        let data: unknown;
        try {
          data = JSON.parse(body.toString('utf8'));
        } catch {
          return writeProblem(response, problem(400, 'The body must be JSON: { messageId, body, scheduledEnqueueTimeUtc? } or a list.'));
        }
        const parsed = devMessagesSchema.safeParse(data);
        if (!parsed.success) {
          return writeProblem(response, problem(400, 'The body must be { messageId, body, scheduledEnqueueTimeUtc? } or a list.'));
        }
        const messages = (Array.isArray(parsed.data) ? parsed.data : [parsed.data]).map((message) => ({
          messageId: message.messageId,
          body: message.body,
          ...(message.scheduledEnqueueTimeUtc ? { scheduledEnqueueTimeUtc: new Date(message.scheduledEnqueueTimeUtc) } : {}),
        }));
        try {
          await queueFor(name).send(messages);
        } catch (error) {
          return writeProblem(response, problem(400, toError(error).message));
        }
        return writeResult(response, { status: 202, jsonBody: { name, accepted: messages.length } });
      }
      case 'drainQueue': {
        const queue = queues.get(name);
        if (!queue) return writeProblem(response, problem(404, `No queue named ${name}.`));
        const timeoutMs = Number(url.searchParams.get('timeoutMs') ?? '30000');
        try {
          await queue.drain({ timeoutMs: Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : 30_000 });
        } catch (error) {
          return writeProblem(response, problem(503, toError(error).message));
        }
        return writeResult(response, { status: 200, jsonBody: { name: queue.name, counts: queue.counts() } });
      }
    }
  }

  async function handleFunction(request: IncomingMessage, response: ServerResponse, url: URL, baseUrl: string): Promise<Written> {
    const method = (request.method ?? 'GET').toUpperCase();
    const matched = routes.match(method, url.pathname);
    if (matched.kind === 'notFound') return writeProblem(response, problem(404, `No function answers ${url.pathname}.`));
    if (matched.kind === 'methodNotAllowed') {
      const allow = matched.allow.join(', ');
      return writeProblem(response, problem(405, `${method} is not supported here; use ${allow}.`, { headers: { allow } }));
    }
    const entry = matched.value;
    // The level Azure registers the function with (provider routes may be anonymous there: functions/handlers.ts).
    const authLevel = registeredAuthLevel(entry, getServices().config);
    if (authLevel === 'function') {
      const presented = request.headers['x-functions-key']?.toString() ?? url.searchParams.get('code');
      if (!keyMatches(presented, options.functionKey)) {
        return writeProblem(response, problem(401, 'This function requires the function key (x-functions-key header or ?code=).'));
      }
    }
    // Read as it arrives and cut at the route's limit: an oversized body is refused before it is all sent.
    const bodyLimit = Math.min(maxBodyBytes, entry.route.maxBodyBytes ?? routeDefaultMaxBodyBytes);
    let body: Buffer;
    try {
      body = await readBody(request, bodyLimit);
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        // Answered now. No `Connection: close`: Node would reset the socket over the unread rest of the body, and the
        // client would see the reset instead of this answer; the rest is dropped (drainRefused) or the socket closed.
        return writeProblem(response, problem(413, `The request body is larger than ${bodyLimit} bytes.`));
      }
      throw error;
    }
    // `url` is already parsed and normalised: only its origin changes.
    const nativeRequest = new BufferedRequest(`${baseUrl}${url.pathname}${url.search}`, method, headerRecord(request), body);
    const httpRequest = new HttpRequest({
      method,
      url: nativeRequest.url,
      params: matched.params,
      // Not in the package's typings: the option its own streaming path builds an HttpRequest with.
      nativeRequest,
    } as HttpRequestInit);
    const context = new Context({
      invocationId: randomUUID(),
      functionName: entry.name,
      logHandler: contextLog(entry.name),
      options: {
        trigger: {
          type: 'httpTrigger',
          name: 'request',
          methods: [entry.route.method],
          route: entry.route.route,
          authLevel,
        },
      },
    });
    let result: HttpResponseInit;
    try {
      const handler = httpHandlers.get(entry.name);
      if (!handler) throw new Error(`No handler for ${entry.name}`);
      result = await handler()(httpRequest, context);
    } catch (error) {
      const failure = toError(error);
      log(`  [${entry.name}] error: unhandled ${failure.name}: ${failure.message}`);
      return writeProblem(response, problem(500, 'The function failed. See the host log.'));
    }
    return writeResult(response, result);
  }

  let baseUrl = '';
  const corsOrigins = new Set(options.corsOrigins ?? []);
  // Guarded: no request (a target that is not a URL, a handler that throws) can end the host's process.
  const server = createServer(guarded((request, response) => {
    const started = Date.now();
    const url = requestUrl(request);
    const origin = request.headers.origin;
    if (origin !== undefined && corsOrigins.has(origin)) {
      response.setHeader('access-control-allow-origin', origin);
      response.setHeader('vary', 'Origin');
      if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
        response.writeHead(204, {
          'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE',
          'access-control-allow-headers': request.headers['access-control-request-headers'] ?? 'authorization, content-type',
          'access-control-max-age': '600',
        });
        response.end();
        log(`HTTP OPTIONS ${url.pathname} 204 ${Date.now() - started}ms`);
        return;
      }
    }
    const isDev = url.pathname === '/_dev' || url.pathname.startsWith('/_dev/');
    const work = isDev ? handleDev(request, response, url) : handleFunction(request, response, url, baseUrl);
    work
      .catch(async (error: unknown) => {
        const failure = toError(error);
        log(`HOST error on ${request.method ?? ''} ${url.pathname}: ${failure.name}: ${failure.message}`);
        if (!response.headersSent) return writeProblem(response, problem(500, 'The host failed to handle the request.'));
        response.destroy();
        return { status: 500 };
      })
      .then((written) => {
        log(`HTTP ${request.method ?? ''} ${url.pathname} ${written.status} ${Date.now() - started}ms`);
      })
      .catch(() => undefined);
  }, (line) => log(`HOST ${line}`)));
  server.requestTimeout = 5 * 60_000;
  // Keep idle connections longer than clients do (undici: 4 s), so a client never reuses a socket the host is closing.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 7071, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://localhost:${port}`;

  if (runTimers) for (const state of timers.values()) arm(state);

  return {
    url: baseUrl,
    port,
    queues,
    fireTimer: (name) => {
      const state = timers.get(name);
      if (!state) return Promise.reject(new Error(`No timer function named ${name}`));
      return enqueueRun(state, false);
    },
    close: async () => {
      if (closing) return;
      closing = true;
      for (const state of timers.values()) if (state.timeout) clearTimeout(state.timeout);
      await Promise.all([...timers.values()].map((state) => (state.running ?? Promise.resolve()).catch(() => undefined)));
      await Promise.all([...queues.values()].map((queue) => queue.close()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
