/**
 * A request listener that no request can turn into a crash: a throw or a rejection inside it answers 400 (a request
 * target that cannot be parsed or decoded) or 500, and never reaches the process, which for `npm run dev` holds
 * Azurite, the simulator and the console too.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Thrown for a request the server cannot make sense of (a malformed path): answered 400. */
export class BadRequestTarget extends Error {}

/** `request.url` as a URL, or BadRequestTarget when the target is not one (`GET http://[`). */
export function requestUrl(request: IncomingMessage): URL {
  try {
    return new URL(request.url ?? '/', 'http://localhost');
  } catch {
    throw new BadRequestTarget('The request target is not a valid URL.');
  }
}

/** `decodeURIComponent`, or BadRequestTarget for a malformed escape (`/%E0`). */
export function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    throw new BadRequestTarget('The request path is not valid percent-encoded UTF-8.');
  }
}

export type Listener = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

export function guarded(listener: Listener, log?: (line: string) => void): (request: IncomingMessage, response: ServerResponse) => void {
  const fail = (response: ServerResponse, error: unknown): void => {
    const bad = error instanceof BadRequestTarget;
    if (!bad) log?.(`request failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    try {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      const status = bad ? 400 : 500;
      const detail = bad ? error.message : 'The server failed to handle the request.';
      const body = JSON.stringify({ type: 'about:blank', title: bad ? 'Bad Request' : 'Internal Server Error', status, detail });
      response.writeHead(status, { 'content-type': 'application/problem+json', 'content-length': String(Buffer.byteLength(body)), connection: 'close' });
      response.end(body);
    } catch {
      response.destroy();
    }
  };
  return (request, response) => {
    try {
      const result = listener(request, response);
      if (result instanceof Promise) result.catch((error: unknown) => fail(response, error));
    } catch (error) {
      fail(response, error);
    }
  };
}
