/**
 * The simulator's tiny HTTP layer: a request/response value pair that both the HTTPS server and `$batch`
 * sub-requests go through, and a router matching path templates such as `/{v}/groups/{id}/members`.
 */
import { randomUUID } from 'node:crypto';

export interface SimRequest {
  method: string;
  /** Path with each segment percent-decoded, no query. */
  path: string;
  /** Path as received (still encoded), used to build `@odata.nextLink`. */
  rawPath: string;
  query: URLSearchParams;
  /** Header names in lower case. */
  headers: Record<string, string>;
  rawBody: string;
  /** True for a `$batch` sub-request. */
  inBatch: boolean;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  /** A string is sent as is (text), anything else as JSON; undefined means no body. */
  body?: unknown;
  /** Destroy the socket instead of answering (fault injection). */
  drop?: boolean;
}

export type Params = Record<string, string>;
export type Handler = (req: SimRequest, params: Params) => SimResponse | Promise<SimResponse>;

export interface Route {
  method: string;
  template: string;
  regex: RegExp;
  keys: string[];
  handler: Handler;
}

export interface RouteMatch {
  route: Route;
  params: Params;
}

/** Compiles `/{v}/groups/{id}` into a regex; `{v}` matches the Graph versions `v1.0` and `beta`. */
export function route(method: string, template: string, handler: Handler): Route {
  const keys: string[] = [];
  const source = template
    .split('/')
    .map((segment) => {
      if (segment === '{v}') {
        keys.push('v');
        return '(v1\\.0|beta)';
      }
      const param = /^\{(\w+)\}$/.exec(segment);
      if (param?.[1]) {
        keys.push(param[1]);
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { method, template, regex: new RegExp(`^${source}/?$`, 'i'), keys, handler };
}

export class Router {
  private readonly routes: Route[] = [];

  add(...routes: Route[]): this {
    this.routes.push(...routes);
    return this;
  }

  /** The matching route, or `methodNotAllowed` when the path exists under another method. */
  match(method: string, path: string): RouteMatch | { methodNotAllowed: boolean } {
    let pathExists = false;
    for (const candidate of this.routes) {
      const found = candidate.regex.exec(path);
      if (!found) continue;
      if (candidate.method !== method) {
        pathExists = true;
        continue;
      }
      const params: Params = {};
      candidate.keys.forEach((key, index) => {
        params[key] = found[index + 1] ?? '';
      });
      return { route: candidate, params };
    }
    return { methodNotAllowed: pathExists };
  }
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): SimResponse {
  return { status, body, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } };
}

export function text(status: number, body: string, contentType = 'text/plain; charset=utf-8'): SimResponse {
  return { status, body, headers: { 'content-type': contentType } };
}

export function noContent(): SimResponse {
  return { status: 204 };
}

/** Microsoft Graph's error body: `{ error: { code, message, innerError } }`. */
export function graphError(
  status: number,
  code: string,
  message: string,
  req?: SimRequest,
  headers: Record<string, string> = {},
): SimResponse {
  const requestId = randomUUID();
  return json(
    status,
    {
      error: {
        code,
        message,
        innerError: {
          date: new Date().toISOString().replace(/\.\d{3}Z$/, ''),
          'request-id': requestId,
          'client-request-id': req?.headers['client-request-id'] ?? requestId,
        },
      },
    },
    { 'request-id': requestId, ...headers },
  );
}

/** Splits a request target into a decoded path and its query. */
export function parseTarget(target: string): { path: string; rawPath: string; query: URLSearchParams } {
  const url = new URL(target, 'https://sim.invalid');
  const rawPath = url.pathname;
  const path = rawPath
    .split('/')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    })
    .join('/');
  return { path, rawPath, query: url.searchParams };
}

/** Parses a JSON body; undefined when empty, `{ invalid: true }` when not JSON. */
export function parseJsonBody(req: SimRequest): { ok: true; value: unknown } | { ok: false } {
  if (req.rawBody.trim() === '') return { ok: true, value: undefined };
  try {
    const value: unknown = JSON.parse(req.rawBody);
    return { ok: true, value };
  } catch {
    return { ok: false };
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
