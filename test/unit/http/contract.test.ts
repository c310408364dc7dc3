/**
 * The check every e2e and browser answer goes through (test/support/openapiContract.ts): it must flag each way an
 * answer can differ from the OpenAPI document, and accept what the document describes.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildOpenApiDocument } from '../../../shared/http/openapi.js';
import { problemDetails } from '../../../shared/http/problem.js';
import { defineRoute } from '../../../shared/http/route.js';
import { OpenApiContract, type ObservedAnswer } from '../../support/openapiContract.js';

const route = defineRoute({
  method: 'POST',
  route: 'v1/device/things/{thingId}',
  summary: 'A device route.',
  tags: ['device'],
  security: 'deviceCredential',
  params: z.object({ thingId: z.string() }),
  body: z.strictObject({ n: z.number() }),
  requestExample: { n: 1 },
  responses: { 200: { description: 'Done.', schema: z.strictObject({ id: z.string(), count: z.number().int() }) } },
});

const contract = new OpenApiContract(buildOpenApiDocument([route], { title: 'Test', version: '1', serverUrl: 'https://mtd.contoso.test' }));

function answer(status: number, body: unknown, headers: Record<string, string> = {}, path = '/api/v1/device/things/a1', method = 'POST'): ObservedAnswer {
  const problem = status >= 400;
  return {
    method,
    path,
    status,
    headers: { 'content-type': problem ? 'application/problem+json' : 'application/json', ...headers },
    body: Buffer.from(JSON.stringify(body)),
  };
}

describe('OpenAPI contract check', () => {
  it('accepts an answer the document describes, matching paths as the host routes them', () => {
    expect(contract.check(answer(200, { id: 'a1', count: 2 }))).toBeUndefined();
    expect(contract.check(answer(200, { id: 'a1', count: 2 }, {}, '/API/V1/Device/Things/a1'))).toBeUndefined();
    expect(contract.check(answer(429, problemDetails(429, 'slow down'), { 'retry-after': '3' }))).toBeUndefined();
  });

  it('flags a status the operation does not list', () => {
    expect(contract.check(answer(409, problemDetails(409, 'conflict')))).toMatch(/does not list status 409/);
  });

  it('flags a body that does not match the schema, or an unlisted media type', () => {
    expect(contract.check(answer(200, { id: 'a1', count: 2.5 }))).toMatch(/does not match the schema/);
    expect(contract.check(answer(200, { id: 'a1', count: 2, extra: true }))).toMatch(/does not match the schema/);
    expect(contract.check(answer(200, { id: 'a1', count: 2 }, { 'content-type': 'text/plain' }))).toMatch(/text\/plain is not among/);
    expect(contract.check(answer(400, { title: 'no type' }))).toMatch(/does not match the schema/);
  });

  it('flags a missing required header', () => {
    expect(contract.check(answer(429, problemDetails(429, 'slow down')))).toMatch(/Retry-After is missing/);
    expect(contract.check(answer(401, problemDetails(401, 'who?')))).toMatch(/WWW-Authenticate is missing/);
  });

  it('lets a path no route has answer only 404, and a method a path lacks only 405, as problems', () => {
    expect(contract.check(answer(404, problemDetails(404, 'none'), {}, '/api/v1/nothing'))).toBeUndefined();
    expect(contract.check(answer(200, { ok: true }, {}, '/api/v1/nothing'))).toMatch(/no path of the document/);
    expect(contract.check(answer(405, problemDetails(405, 'use POST'), {}, '/api/v1/device/things/a1', 'GET'))).toBeUndefined();
    expect(contract.check(answer(200, {}, {}, '/api/v1/device/things/a1', 'GET'))).toMatch(/no GET operation|no get operation/);
  });

  it('leaves the dev host\'s own routes alone', () => {
    expect(contract.check(answer(200, { anything: 1 }, {}, '/_dev/queues/x'))).toBeUndefined();
  });
});
