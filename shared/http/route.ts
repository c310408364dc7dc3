/**
 * A route is declared once: its method, path, schemas and responses. The same declaration validates requests
 * (through `endpoint`) and describes the route in the OpenAPI document.
 */
import type { z } from 'zod';
import { HttpError, problem, type HttpResult } from './problem.js';
import { readJsonBody, readParams, readQuery, type ApiRequest } from './request.js';
import { toError } from '../base/errors.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call a route: anyone, provider support (function key; `provider`: the function key or an Entra ID token of
 * provider support), a console user, the agent's user, the agent's device, a reader of the event feed (a console user
 * or an application of the tenant with `Events.Read`).
 */
export type RouteSecurity =
  | 'anonymous'
  | 'functionKey'
  | 'provider'
  | 'consoleToken'
  | 'userToken'
  | 'deviceCredential'
  | 'eventsReader';

export interface ResponseSpec {
  readonly description: string;
  readonly schema?: z.ZodType;
  readonly contentType?: string;
  /** Other media types the same answer may come in (a text body each), e.g. `text/csv` for `format=csv`. */
  readonly alternativeContentTypes?: readonly string[];
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RouteSpec<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
> {
  readonly method: HttpMethod;
  /** Route template without the `api/` prefix, e.g. `v1/console/devices/{deviceId}`. */
  readonly route: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly security: RouteSecurity;
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  /** Largest accepted body in bytes (default 256 KiB; device routes 64 KiB). */
  readonly maxBodyBytes?: number;
  /** A request body the route accepts, shown in the OpenAPI document (required with `body`). */
  readonly requestExample?: z.input<B>;
  /**
   * How callers are limited, when the route answers 429 with `Retry-After` (device routes always are: per device).
   * The OpenAPI document derives 400, 401, 403, 413, 415, 429 and 503 from the route's schemas, security and limits;
   * `responses` lists the rest (and may describe a derived one more precisely).
   */
  readonly rateLimit?: string;
  readonly responses: Readonly<Record<number, ResponseSpec>>;
}

export function defineRoute<P extends z.ZodType = z.ZodNever, Q extends z.ZodType = z.ZodNever, B extends z.ZodType = z.ZodNever>(
  spec: RouteSpec<P, Q, B>,
): RouteSpec<P, Q, B> {
  return spec;
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface EndpointInput<Principal, P, Q, B> {
  readonly request: ApiRequest;
  readonly principal: Principal;
  readonly params: Parsed<P>;
  readonly query: Parsed<Q>;
  readonly body: Parsed<B>;
}

/** Where the edge reports unexpected failures; an @azure/functions `InvocationContext` satisfies it. */
export interface EdgeLogger {
  error(...args: unknown[]): void;
}

export type RequestHandler = (request: ApiRequest, context: EdgeLogger) => Promise<HttpResult>;

/**
 * Builds a handler: authenticate first (401/403 before any parsing), then route parameters, query and body against
 * the route's schemas, then `handle`. An `HttpError` becomes its problem; anything else a 500 with no detail.
 */
export function endpoint<Principal, P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(
  spec: RouteSpec<P, Q, B>,
  options: {
    authenticate?: (request: ApiRequest) => Promise<Principal>;
    handle: (input: EndpointInput<Principal, P, Q, B>) => Promise<HttpResult>;
  },
): RequestHandler {
  return async (request, context) => {
    try {
      const principal = options.authenticate ? await options.authenticate(request) : (undefined as Principal);
      const params = (spec.params ? readParams(request, spec.params) : undefined) as Parsed<P>;
      const query = (spec.query ? readQuery(request, spec.query) : undefined) as Parsed<Q>;
      const body = (
        spec.body ? await readJsonBody(request, spec.body, { maxBytes: spec.maxBodyBytes }) : undefined
      ) as Parsed<B>;
      return await options.handle({ request, principal, params, query, body });
    } catch (caught) {
      return errorResult(caught, context);
    }
  };
}

/** Maps a caught value to a response: typed HTTP errors as themselves, anything else as an opaque 500. */
export function errorResult(caught: unknown, context: EdgeLogger): HttpResult {
  if (caught instanceof HttpError) return caught.toResult();
  const error = toError(caught);
  context.error(`Unhandled ${error.name}: ${error.message}`);
  return problem(500, 'The service could not complete the request. It has been logged; please retry later.');
}
