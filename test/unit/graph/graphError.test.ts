import { describe, expect, it } from 'vitest';
import { GraphError, codeForStatus, parseGraphErrorBody, parseRetryAfter, toGraphError } from '../../../shared/graph/graphError.js';
import { graphScope } from '../../../shared/graph/graphAccess.js';

describe('Graph errors', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('maps statuses to stable codes', () => {
    expect([429, 503, 401, 403, 404, 400].map(codeForStatus)).toEqual([
      'ERR_GRAPH_THROTTLED',
      'ERR_GRAPH_UNAVAILABLE',
      'ERR_GRAPH_UNAUTHORIZED',
      'ERR_GRAPH_FORBIDDEN',
      'ERR_GRAPH_NOT_FOUND',
      'ERR_GRAPH_REQUEST',
    ]);
  });

  it('reads Graph’s error body and ignores anything else', () => {
    expect(parseGraphErrorBody('{"error":{"code":"Request_ResourceNotFound","message":"gone"}}')).toEqual({
      code: 'Request_ResourceNotFound',
      message: 'gone',
    });
    expect(parseGraphErrorBody('<html>')).toEqual({});
  });

  it('is an instance of GraphError with its fields, and converts anything caught', () => {
    const error = new GraphError('ERR_GRAPH_THROTTLED', 429, 'slow down', { retryAfterSeconds: 5, graphCode: 'TooManyRequests' });
    expect(error).toBeInstanceOf(GraphError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: 'ERR_GRAPH_THROTTLED', status: 429, retryAfterSeconds: 5, graphCode: 'TooManyRequests', transient: true });
    expect(toGraphError(error)).toBe(error);
    expect(toGraphError(Object.assign(new Error('x'), { statusCode: 404 }))).toMatchObject({ code: 'ERR_GRAPH_NOT_FOUND', status: 404 });
    expect(toGraphError('boom')).toMatchObject({ code: 'ERR_GRAPH_NETWORK', status: 0 });
  });

  it('asks for the Graph resource of the cloud, and the public one for other hosts', () => {
    expect(graphScope('https://graph.microsoft.us')).toBe('https://graph.microsoft.us/.default');
    expect(graphScope('https://graph.microsoft.com')).toBe('https://graph.microsoft.com/.default');
    expect(graphScope('https://localhost:7443')).toBe('https://graph.microsoft.com/.default');
  });
});
