/**
 * The OpenAPI document: each operation lists the problem answers its declaration implies (so a new route gets them
 * without listing them), the security schemes, the server from PUBLIC_BASE_URL, a license and request examples.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openApiDocument } from '../../../dev/openapiClient.js';
import { buildOpenApiDocument } from '../../../shared/http/openapi.js';
import { defineRoute } from '../../../shared/http/route.js';

const operationSchema = z.object({
  operationId: z.string(),
  security: z.array(z.record(z.string(), z.array(z.string()))),
  parameters: z.array(z.unknown()),
  requestBody: z.object({ content: z.record(z.string(), z.object({ example: z.unknown().optional() })) }).optional(),
  responses: z.record(
    z.string(),
    z.object({
      description: z.string(),
      headers: z.record(z.string(), z.object({ required: z.boolean().optional() })).optional(),
      content: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
});
const documentSchema = z.object({
  info: z.object({ license: z.object({ name: z.string() }) }),
  servers: z.array(z.object({ url: z.string() })),
  paths: z.record(z.string(), z.record(z.string(), operationSchema)),
  components: z.object({ securitySchemes: z.record(z.string(), z.object({ type: z.string(), scheme: z.string().optional() })) }),
});

const reportRoute = defineRoute({
  method: 'POST',
  route: 'v1/device/things',
  summary: 'A device route with a body.',
  tags: ['device'],
  security: 'deviceCredential',
  body: z.strictObject({ n: z.number().int() }),
  maxBodyBytes: 1024,
  requestExample: { n: 1 },
  responses: { 202: { description: 'Taken.' }, 404: { description: 'No such thing.' } },
});

const readRoute = defineRoute({
  method: 'GET',
  route: 'v1/console/things',
  summary: 'A console read without input.',
  tags: ['console'],
  security: 'consoleToken',
  responses: { 200: { description: 'The things.', schema: z.object({ items: z.array(z.string()) }) } },
});

function build(routes: Parameters<typeof buildOpenApiDocument>[0]) {
  return documentSchema.parse(buildOpenApiDocument(routes, { title: 'Test', version: '1', serverUrl: 'https://mtd.contoso.test' }));
}

describe('OpenAPI document: answers derived from a route declaration', () => {
  it('gives a device route with a body its input, credential, size, media type and rate answers, with headers', () => {
    const operation = build([reportRoute]).paths['/api/v1/device/things']?.post;
    expect(Object.keys(operation?.responses ?? {})).toEqual(['202', '400', '401', '403', '404', '410', '413', '415', '429', '500']);
    expect(operation?.responses['401']?.headers?.['WWW-Authenticate']).toMatchObject({ required: true });
    expect(operation?.responses['429']?.headers?.['Retry-After']).toMatchObject({ required: true });
    expect(operation?.responses['413']?.description).toContain('1024 bytes');
    expect(operation?.responses['404']?.description).toBe('No such thing.');
    for (const status of ['400', '401', '403', '404', '410', '413', '415', '429', '500']) {
      expect(operation?.responses[status]?.content).toEqual({ 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } });
    }
    expect(operation?.responses['202']?.content).toBeUndefined();
    expect(operation?.requestBody?.content['application/json']?.example).toEqual({ n: 1 });
  });

  it('gives a console read its credential answers and 503 with Retry-After, but no input answers', () => {
    const operation = build([readRoute]).paths['/api/v1/console/things']?.get;
    expect(Object.keys(operation?.responses ?? {})).toEqual(['200', '401', '403', '410', '500', '503']);
    expect(operation?.responses['503']?.headers?.['Retry-After']).toMatchObject({ required: true });
  });

  it('refuses a request example its body schema rejects', () => {
    const wrong = { ...reportRoute, requestExample: { n: 1.5 } };
    expect(() => build([wrong])).toThrow(/request example of POST v1\/device\/things/);
  });

  it('names the server, the license and every security scheme', () => {
    const document = build([reportRoute]);
    expect(document.servers).toEqual([expect.objectContaining({ url: 'https://mtd.contoso.test' })]);
    expect(document.info.license.name).not.toBe('');
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual(
      ['consoleToken', 'deviceCredential', 'deviceDpop', 'functionKey', 'providerToken', 'siemToken', 'userToken'].sort(),
    );
    expect(document.components.securitySchemes.deviceCredential).toMatchObject({ type: 'http', scheme: 'bearer' });
  });
});

describe('OpenAPI document of the catalog', () => {
  const document = documentSchema.parse(openApiDocument('https://mtd.contoso.test'));
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, method, operation })),
  );

  it('gives every operation with a credential or an input a 4xx answer, and every one a 2xx or a redirect', () => {
    for (const { name, operation } of operations) {
      const statuses = Object.keys(operation.responses);
      const hasInput = operation.parameters.length > 0 || operation.requestBody !== undefined;
      if (operation.security.length > 0 || hasInput) expect(statuses.some((status) => status.startsWith('4')), name).toBe(true);
      expect(statuses.some((status) => status.startsWith('2') || status.startsWith('3')), name).toBe(true);
    }
  });

  it('shows an example of every request body', () => {
    for (const { name, operation } of operations) {
      if (operation.requestBody) expect(operation.requestBody.content['application/json']?.example, name).toBeDefined();
    }
  });

  it('lets a SIEM application read the event feed with its app-only token, and only the feed', () => {
    const withSiem = operations.filter(({ operation }) => operation.security.some((requirement) => 'siemToken' in requirement));
    expect(withSiem.map(({ name }) => name)).toEqual(['GET /api/v1/events']);
  });
});
