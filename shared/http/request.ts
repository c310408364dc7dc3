/**
 * Request parsing at the HTTP edge: content type, size, JSON syntax and schema, each failure a problem+json 4xx.
 * Data stays `unknown` until a zod schema has parsed it.
 */
import type { z } from 'zod';
import { HttpError, type FieldError } from './problem.js';

/** The parts of a request the edge reads; an @azure/functions `HttpRequest` satisfies it. */
export interface ApiRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: { get(name: string): string | null };
  readonly query: URLSearchParams;
  readonly params: Readonly<Record<string, string>>;
  /** The body as a stream, when the host offers one: read only up to the route's limit. */
  readonly body?: ReadableStream<Uint8Array> | null;
  text(): Promise<string>;
}

export const defaultMaxBodyBytes = 256 * 1024;

/** zod issues as `{ path, message }`, one per invalid or unknown field. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) errors.push({ path: [...base, key].join('.'), message: 'unknown field' });
      continue;
    }
    const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
    errors.push({ path: base.join('.') || '(body)', message });
  }
  return errors;
}

export function invalid(what: string, error: z.ZodError): HttpError {
  const errors = fieldErrors(error);
  const first = errors[0];
  const summary = first ? `${first.path}: ${first.message}` : 'invalid';
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return new HttpError(400, `Invalid ${what}: ${summary}${more}.`, { errors });
}

function isJsonContentType(value: string | null): boolean {
  if (!value) return false;
  const mediaType = value.split(';')[0]?.trim().toLowerCase() ?? '';
  return mediaType === 'application/json' || (mediaType.startsWith('application/') && mediaType.endsWith('+json'));
}

const tooLarge = (maxBytes: number): HttpError => new HttpError(413, `The request body is larger than ${maxBytes} bytes.`);

/**
 * The body as text, read no further than `maxBytes`. With a `Content-Length` (checked against the limit before this)
 * HTTP framing ends the body there, so it is read whole; a body sent without one (chunked) is read as a stream, cut
 * off at the limit and answered 413, instead of being read whole first. UTF-8 is decoded as fetch does (a BOM is
 * dropped).
 */
async function boundedText(request: ApiRequest, maxBytes: number): Promise<string> {
  // `body` is asked for only without a length: a host may build the stream on first use.
  const body = request.headers.get('content-length') === null ? request.body : null;
  if (!body) {
    const text = await request.text();
    if (Buffer.byteLength(text, 'utf8') > maxBytes) throw tooLarge(maxBytes);
    return text;
  }
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return new TextDecoder('utf-8').decode(Buffer.concat(chunks));
}

/** Reads and validates a JSON body: 415 for another content type, 413 over `maxBytes`, 400 for bad JSON or fields. */
export async function readJsonBody<S extends z.ZodType>(
  request: ApiRequest,
  schema: S,
  options: { maxBytes?: number } = {},
): Promise<z.output<S>> {
  const maxBytes = options.maxBytes ?? defaultMaxBodyBytes;
  if (!isJsonContentType(request.headers.get('content-type'))) {
    throw new HttpError(415, 'The request body must be JSON, sent with Content-Type: application/json.');
  }
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const text = await boundedText(request, maxBytes);
  if (text.trim() === '') throw new HttpError(400, 'The request body is empty; a JSON document is required.');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'The request body is not valid JSON.');
  }
  const result = schema.safeParse(data);
  if (!result.success) throw invalid('request body', result.error);
  return result.data;
}

/** Validates query parameters (single values; unknown ones are ignored, as `code` is the host's). */
export function readQuery<S extends z.ZodType>(request: ApiRequest, schema: S): z.output<S> {
  const values: Record<string, string> = {};
  for (const [key, value] of request.query) if (!(key in values)) values[key] = value;
  const result = schema.safeParse(values);
  if (!result.success) throw invalid('query', result.error);
  return result.data;
}

export function readParams<S extends z.ZodType>(request: ApiRequest, schema: S): z.output<S> {
  const result = schema.safeParse({ ...request.params });
  if (!result.success) throw invalid('route parameter', result.error);
  return result.data;
}

/** The bearer token of an `Authorization` header, or undefined. */
export function bearerToken(request: ApiRequest): string | undefined {
  const header = request.headers.get('authorization');
  if (!header) return undefined;
  const match = /^Bearer\s+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(header);
  return match?.[1];
}
