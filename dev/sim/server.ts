/**
 * The simulated tenant over HTTPS: Entra ID, Microsoft Graph (directory and Intune), SendGrid and the
 * `/_sim/` control API, all on one origin `https://localhost:<port>`.
 */
import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { controlRoutes } from './control.js';
import { entraRoutes } from './entra.js';
import { createPlatformAuthority, type PlatformAuthority } from './platform.js';
import { platformRoutes } from './platformRoutes.js';
import { graphRoutes } from './graph.js';
import type { Dispatch } from './graph.js';
import { graphError, json, parseTarget, Router } from './http.js';
import type { SimRequest, SimResponse } from './http.js';
import type { Scenario } from './scenario.js';
import { sendgridRoutes } from './sendgrid.js';
import { entraCorsHeaders, interactiveRoutes, isBrowserEntraPath } from './interactive.js';
import { SimState } from './state.js';

export type { Scenario } from './scenario.js';
export { SimState } from './state.js';

export interface SimulatorOptions {
  /** Port to listen on; 0 or absent picks a free one. */
  port?: number;
  /** Interface to listen on (default `localhost`). */
  host?: string;
  cert: string | Buffer;
  key: string | Buffer;
  scenario: Scenario;
  /** Overrides the scenario's app client secret. */
  clientSecret?: string;
  /** Overrides the scenario's SendGrid API key. */
  sendgridApiKey?: string;
  /** One line per request (method, path without query, status, duration); never tokens or bodies. */
  log?: (line: string) => void;
  /** The platform's attestation roots (dev/sim/platform.ts `ensurePlatformAuthority`); default: made in memory. */
  platform?: PlatformAuthority;
}

export interface Simulator {
  /** `https://localhost:<port>`: use it for ENTRA_AUTHORITY_HOST, GRAPH_BASE_URL, INTUNE_PARTNER_API_BASE_URL and SENDGRID_API_BASE_URL. */
  url: string;
  port: number;
  state: SimState;
  close(): Promise<void>;
}

const MAX_BODY = 10 * 1024 * 1024;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        resolve(undefined);
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') out[name] = value;
    else if (Array.isArray(value)) out[name] = value.join(', ');
  }
  return out;
}

/** Builds the request pipeline: control API, fault injection, routing, stats. */
export function createDispatch(state: SimState, log?: (line: string) => void, platform?: PlatformAuthority): Dispatch {
  let authority: Promise<PlatformAuthority> | undefined = platform ? Promise.resolve(platform) : undefined;
  const control = new Router().add(...controlRoutes(state), ...platformRoutes(() => (authority ??= createPlatformAuthority())));
  const router = new Router()
    .add(...sendgridRoutes(state))
    .add(...graphRoutes(state, () => dispatch))
    .add(...entraRoutes(state))
    .add(...interactiveRoutes(state));

  const dispatch: Dispatch = async (req: SimRequest): Promise<SimResponse> => {
    const started = Date.now();
    if (req.path.startsWith('/_sim/')) {
      const found = control.match(req.method, req.path);
      if ('route' in found) return found.route.handler(req, found.params);
      return json(found.methodNotAllowed ? 405 : 404, { error: { code: 'NotFound', message: `no control route ${req.method} ${req.path}` } });
    }
    let template = `${req.method} (unmatched)`;
    let res: SimResponse;
    const fault = state.takeFault(req.method, req.path);
    if (fault?.latencyMs) await sleep(fault.latencyMs);
    if (fault?.drop) {
      res = { status: 0, drop: true };
      template = `${req.method} (dropped)`;
    } else if (fault?.status) {
      const headers: Record<string, string> = fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {};
      res =
        fault.body !== undefined
          ? json(fault.status, fault.body, headers)
          : graphError(fault.status, fault.status === 429 ? 'TooManyRequests' : fault.status >= 500 ? 'ServiceUnavailable' : 'BadRequest', `Injected fault (${fault.status}).`, req, headers);
      template = `${req.method} (fault)`;
      const found = router.match(req.method, req.path);
      if ('route' in found) template = `${found.route.method} ${found.route.template}`;
    } else {
      const found = router.match(req.method, req.path);
      if ('route' in found) {
        template = `${found.route.method} ${found.route.template}`;
        try {
          res = await found.route.handler(req, found.params);
        } catch (error) {
          log?.(`sim: handler error on ${template}: ${error instanceof Error ? error.message : String(error)}`);
          res = graphError(500, 'InternalServerError', 'The simulator failed to handle the request.', req);
        }
      } else if (found.methodNotAllowed) {
        res = graphError(405, 'Request_BadRequest', `The method ${req.method} is not allowed on this resource.`, req);
      } else if (/^\/(v1\.0|beta)\//i.test(req.path)) {
        res = graphError(400, 'BadRequest', `Resource not found for the segment '${req.path.split('/').pop() ?? ''}'.`, req);
      } else {
        res = json(404, { error: 'not_found', error_description: `No route for ${req.method} ${req.path}` });
      }
    }
    // Entra ID answers browsers (single-page apps) on these paths with CORS headers.
    if (req.headers.origin && isBrowserEntraPath(req.path) && !res.drop) res = { ...res, headers: { ...entraCorsHeaders, ...res.headers } };
    state.recordRequest(template, res.drop ? 0 : res.status);
    log?.(`sim ${req.inBatch ? '  [batch] ' : ''}${req.method} ${req.path} -> ${res.drop ? 'dropped' : res.status} (${Date.now() - started} ms)`);
    return res;
  };
  return dispatch;
}

function send(res: ServerResponse, out: SimResponse): void {
  const headers: Record<string, string> = { ...(out.headers ?? {}) };
  let payload: string | undefined;
  if (out.body !== undefined) {
    payload = typeof out.body === 'string' ? out.body : JSON.stringify(out.body);
    headers['content-type'] ??= typeof out.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
    headers['content-length'] = String(Buffer.byteLength(payload));
  } else if (out.status !== 204 && out.status !== 304) {
    headers['content-length'] = '0';
  }
  res.writeHead(out.status, headers);
  res.end(payload);
}

export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const state = await SimState.create(options.scenario);
  if (options.clientSecret !== undefined) state.clientSecret = options.clientSecret;
  if (options.sendgridApiKey !== undefined) state.sendgridApiKey = options.sendgridApiKey;
  const dispatch = createDispatch(state, options.log, options.platform);

  const server = createServer({ cert: options.cert, key: options.key, keepAlive: true }, (req, res) => {
    void (async () => {
      try {
        const rawBody = await readBody(req);
        if (rawBody === undefined) {
          send(res, json(413, { error: { code: 'RequestEntityTooLarge', message: 'The request body is too large.' } }));
          return;
        }
        const target = parseTarget(req.url ?? '/');
        const out = await dispatch({
          method: (req.method ?? 'GET').toUpperCase(),
          path: target.path,
          rawPath: target.rawPath,
          query: target.query,
          headers: headersOf(req),
          rawBody,
          inBatch: false,
        });
        if (out.drop) {
          req.socket.destroy();
          return;
        }
        send(res, out);
      } catch (error) {
        options.log?.(`sim: request failed: ${error instanceof Error ? error.message : String(error)}`);
        if (!res.headersSent) send(res, json(500, { error: { code: 'InternalServerError', message: 'The simulator failed.' } }));
        else res.destroy();
      }
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? 'localhost', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `https://localhost:${port}`;
  state.origin = url;
  return {
    url,
    port,
    state,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
