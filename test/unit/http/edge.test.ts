import functions from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildOpenApiDocument } from '../../../shared/http/openapi.js';
import { HttpError } from '../../../shared/http/problem.js';
import { defineRoute, endpoint } from '../../../shared/http/route.js';
import { json } from '../../../shared/http/problem.js';
import { readJsonBody, type ApiRequest } from '../../../shared/http/request.js';

const { HttpRequest, InvocationContext } = functions;

const route = defineRoute({
  method: 'PUT',
  route: 'v1/things/{thingId}',
  summary: 'Replace a thing.',
  tags: ['things'],
  security: 'consoleToken',
  params: z.object({ thingId: z.uuid() }),
  query: z.object({ dryRun: z.enum(['true', 'false']).optional() }),
  body: z.strictObject({ name: z.string().min(1).max(20), size: z.number().int().min(1).max(10) }),
  maxBodyBytes: 200,
  responses: { 200: { description: 'The thing.', schema: z.object({ thingId: z.string(), name: z.string() }) } },
});

const stored: unknown[] = [];
const handler = endpoint(route, {
  handle: ({ params, body }) => {
    stored.push(body);
    return Promise.resolve(json(200, { thingId: params.thingId, name: body.name }));
  },
});

const thingId = '6f1d3c4e-2b7a-4c1d-9e8f-0a1b2c3d4e5f';
const context = () => new InvocationContext({ functionName: 'test', invocationId: 'test' });

function request(body: string | undefined, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  return new HttpRequest({
    method: 'PUT',
    url: `http://localhost/api/v1/things/${thingId}`,
    headers,
    params: { thingId },
    ...(body === undefined ? {} : { body: { string: body } }),
  });
}

async function call(req: InstanceType<typeof HttpRequest>) {
  const before = stored.length;
  const result = await handler(req, context());
  return { result, body: result.jsonBody as Record<string, unknown>, stored: stored.length - before };
}

describe('HTTP edge', () => {
  it('passes a valid request to the handler with parsed values', async () => {
    const { result, stored: count } = await call(request('{"name":"a","size":3}'));
    expect(result.status).toBe(200);
    expect(result.jsonBody).toEqual({ thingId, name: 'a' });
    expect(count).toBe(1);
  });

  it('answers malformed JSON with a 400 problem and stores nothing', async () => {
    const { result, body, stored: count } = await call(request('{"name":'));
    expect(result.status).toBe(400);
    expect(result.headers).toMatchObject({ 'content-type': 'application/problem+json' });
    expect(body).toMatchObject({ status: 400, title: 'Bad Request', detail: 'The request body is not valid JSON.' });
    expect(typeof body.type).toBe('string');
    expect(count).toBe(0);
  });

  it('rejects another content type with 415', async () => {
    const { result, stored: count } = await call(request('name=a', { 'content-type': 'application/x-www-form-urlencoded' }));
    expect(result.status).toBe(415);
    expect(count).toBe(0);
  });

  it('rejects a body over the route limit with 413', async () => {
    const { result, stored: count } = await call(request(JSON.stringify({ name: 'a'.repeat(300), size: 1 })));
    expect(result.status).toBe(413);
    expect(count).toBe(0);
  });

  it('stops reading a chunked body without Content-Length at the limit and answers 413', async () => {
    let pulled = 0;
    const chunk = new Uint8Array(16 * 1024).fill(0x20);
    // An endless body: a client streaming without Content-Length.
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const fetchRequest = new Request('http://localhost/api/v1/device/heartbeat', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: endless,
      duplex: 'half',
    });
    const apiRequest: ApiRequest = {
      method: 'POST',
      url: fetchRequest.url,
      headers: fetchRequest.headers,
      query: new URLSearchParams(),
      params: {},
      body: fetchRequest.body,
      text: () => fetchRequest.text(),
    };
    const refused = await readJsonBody(apiRequest, z.object({}), { maxBytes: 64 * 1024 }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(refused).toBeInstanceOf(HttpError);
    expect((refused as HttpError).status).toBe(413);
    // Read up to the limit (and the stream's read-ahead), not on and on.
    expect(pulled).toBeLessThanOrEqual(64 * 1024 + 4 * chunk.byteLength);
  });

  it('still reads a streamed body within the limit, dropping a UTF-8 byte order mark as fetch does', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"name":"é"}')]);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(bytes.subarray(0, 5)));
        controller.enqueue(new Uint8Array(bytes.subarray(5)));
        controller.close();
      },
    });
    const apiRequest: ApiRequest = {
      method: 'POST',
      url: 'http://localhost/x',
      headers: new Headers({ 'content-type': 'application/json' }),
      query: new URLSearchParams(),
      params: {},
      body: stream,
      text: () => Promise.reject(new Error('the stream is read instead')),
    };
    await expect(readJsonBody(apiRequest, z.object({ name: z.string() }))).resolves.toEqual({ name: 'é' });
  });

  it('lists each invalid and unknown field', async () => {
    const { result, body } = await call(request('{"name":"","size":11,"colour":"red"}'));
    expect(result.status).toBe(400);
    const paths = (body.errors as { path: string }[]).map((error) => error.path).sort();
    expect(paths).toEqual(['colour', 'name', 'size']);
    expect(body.errors).toContainEqual({ path: 'colour', message: 'unknown field' });
  });

  it('validates route parameters and query', async () => {
    const bad = new HttpRequest({
      method: 'PUT',
      url: 'http://localhost/api/v1/things/nope?dryRun=maybe',
      headers: { 'content-type': 'application/json' },
      params: { thingId: 'nope' },
      body: { string: '{"name":"a","size":1}' },
    });
    const { result, body } = await call(bad);
    expect(result.status).toBe(400);
    expect(body.errors).toEqual([expect.objectContaining({ path: 'thingId' })]);
  });

  it('authenticates before it parses', async () => {
    const guarded = endpoint(route, {
      authenticate: () => Promise.reject(new HttpError(401, 'A bearer token is required.')),
      handle: () => Promise.resolve(json(200, {})),
    });
    const result = await guarded(request('not json'), context());
    expect(result.status).toBe(401);
  });

  it('turns an unexpected failure into an opaque 500 without internals', async () => {
    const failing = endpoint(route, {
      handle: () => Promise.reject(new Error('connection string AccountKey=secret')),
    });
    const logged: string[] = [];
    const result = await failing(request('{"name":"a","size":1}'), { error: (message: unknown) => logged.push(String(message)) });
    expect(result.status).toBe(500);
    expect(JSON.stringify(result.jsonBody)).not.toContain('secret');
    expect(logged).toHaveLength(1);
  });
});

describe('OpenAPI document', () => {
  const document = buildOpenApiDocument([route], { title: 'Test', version: '1.2.3', serverUrl: 'https://mtd.contoso.test' }) as {
    openapi: string;
    paths: Record<string, Record<string, Record<string, unknown>>>;
  };

  it('is OpenAPI 3.1 with the route under the api prefix', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(['/api/v1/things/{thingId}']);
  });

  it('describes the request body with the schema that validates it', () => {
    const operation = document.paths['/api/v1/things/{thingId}']?.put as {
      requestBody: { content: { 'application/json': { schema: Record<string, unknown> } } };
      parameters: { name: string; in: string; required: boolean }[];
      security: unknown[];
    };
    const schema = operation.requestBody.content['application/json'].schema;
    expect(schema).toMatchObject({
      type: 'object',
      additionalProperties: false,
      required: ['name', 'size'],
      properties: { size: { type: 'integer', minimum: 1, maximum: 10 } },
    });
    expect(operation.parameters).toEqual([
      expect.objectContaining({ name: 'thingId', in: 'path', required: true }),
      expect.objectContaining({ name: 'dryRun', in: 'query', required: false }),
    ]);
    expect(operation.security).toEqual([{ consoleToken: [] }]);
  });
});
