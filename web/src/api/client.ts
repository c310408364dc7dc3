/**
 * Calls the console API with the signed-in user's token and turns RFC 9457 problem+json answers into errors an
 * administrator can read.
 */
import type { ProblemDetails } from '../../../shared/http/problem.js';

export type TokenSource = () => Promise<string>;

/** An API answer other than 2xx, in words. */
export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly fieldErrors: readonly { path: string; message: string }[];

  constructor(status: number, title: string, detail: string, fieldErrors: readonly { path: string; message: string }[] = []) {
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.title = title;
    this.fieldErrors = fieldErrors;
  }

  /** True when the server has no such route: the feature is not deployed on this server yet. */
  get notAvailable(): boolean {
    return this.status === 404 || this.status === 405 || this.status === 501;
  }
}

const fallbackTitles: Record<number, string> = {
  400: 'The request was not accepted',
  401: 'Your sign-in is no longer valid',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict',
  429: 'Too many requests',
  500: 'The service failed',
  502: 'An upstream service failed',
  503: 'The service is unavailable',
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a problem+json body (or anything else) into an ApiError. */
export function toApiError(status: number, body: unknown): ApiError {
  const title = fallbackTitles[status] ?? (status >= 500 ? 'The service failed' : 'The request failed');
  if (!isRecord(body)) return new ApiError(status, title, `The service answered HTTP ${status}.`);
  const problem: Partial<ProblemDetails> = {
    ...(typeof body.title === 'string' ? { title: body.title } : {}),
    ...(typeof body.detail === 'string' ? { detail: body.detail } : {}),
  };
  const errors = Array.isArray(body.errors)
    ? body.errors.filter(isRecord).map((e) => ({ path: typeof e.path === 'string' ? e.path : '', message: typeof e.message === 'string' ? e.message : '' }))
    : [];
  const detail = problem.detail ?? problem.title ?? `The service answered HTTP ${status}.`;
  return new ApiError(status, problem.title ?? title, detail, errors);
}

/** A readable sentence for any error (API, network, sign-in). */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const fields = error.fieldErrors.map((f) => (f.path ? `${f.path}: ${f.message}` : f.message)).filter((s) => s !== '');
    return fields.length > 0 ? `${error.message} (${fields.join('; ')})` : error.message;
  }
  if (error instanceof TypeError) return 'The service could not be reached. Check your connection and try again.';
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}

export interface ApiClient {
  get<T>(path: string): Promise<T>;
  send<T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T>;
}

/**
 * The client. Answers are typed by the API's own schemas (./types.ts): the service validates what it sends with
 * those schemas, so the client takes a 2xx body as that type at this one place.
 */
export function createApiClient(baseUrl: string, token: TokenSource): ApiClient {
  const root = `${baseUrl.replace(/\/+$/, '')}/api/`;
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${await token()}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${root}${path.replace(/^\/+/, '')}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    let parsed: unknown = undefined;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (!response.ok) throw toApiError(response.status, parsed);
    return parsed as T;
  }
  return {
    get: (path) => call('GET', path),
    send: (method, path, body) => call(method, path, body),
  };
}
