/** RFC 9457 problem details: every 4xx/5xx body the service sends. */
export interface FieldError {
  readonly path: string;
  readonly message: string;
}

export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly errors?: readonly FieldError[];
}

/** The response shape handlers return; structurally an `HttpResponseInit` of @azure/functions. */
export interface HttpResult {
  status: number;
  headers?: Record<string, string>;
  jsonBody?: unknown;
  /** Text, or chunks produced while the answer is sent (a streamed export: nothing holds the whole body). */
  body?: string | AsyncIterable<Uint8Array>;
}

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

const slugs: Record<number, string> = {
  400: 'invalid-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  409: 'conflict',
  413: 'content-too-large',
  415: 'unsupported-media-type',
  429: 'too-many-requests',
  500: 'internal-error',
  502: 'upstream-error',
  503: 'unavailable',
};

export const problemContentType = 'application/problem+json';

export function problemDetails(
  status: number,
  detail: string,
  options: { title?: string; type?: string; errors?: readonly FieldError[] } = {},
): ProblemDetails {
  return {
    type: options.type ?? `https://mtd-connector.dev/problems/${slugs[status] ?? 'error'}`,
    title: options.title ?? titles[status] ?? 'Error',
    status,
    detail,
    ...(options.errors && options.errors.length > 0 ? { errors: options.errors } : {}),
  };
}

export function problem(
  status: number,
  detail: string,
  options: { title?: string; type?: string; errors?: readonly FieldError[]; headers?: Record<string, string> } = {},
): HttpResult {
  return {
    status,
    headers: { 'content-type': problemContentType, 'cache-control': 'no-store', ...options.headers },
    jsonBody: problemDetails(status, detail, options),
  };
}

/** A failure a handler throws to answer with a problem; anything else thrown becomes a 500 with no detail. */
export class HttpError extends Error {
  readonly code = 'ERR_HTTP';
  constructor(
    readonly status: number,
    detail: string,
    readonly options: { title?: string; type?: string; errors?: readonly FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = 'HttpError';
  }

  toResult(): HttpResult {
    return problem(this.status, this.message, this.options);
  }
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }, jsonBody: body };
}
