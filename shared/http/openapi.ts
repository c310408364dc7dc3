/** The OpenAPI 3.1 document, generated from the same route declarations and zod schemas that validate requests. */
import { z } from 'zod';
import { problemContentType } from './problem.js';
import type { RouteSpec } from './route.js';

type JsonObject = Record<string, unknown>;

const problemSchema: JsonObject = {
  type: 'object',
  description: 'RFC 9457 problem details.',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', format: 'uri' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: { path: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

const securitySchemes: JsonObject = {
  functionKey: { type: 'apiKey', in: 'header', name: 'x-functions-key', description: 'Provider support: the function key.' },
  providerToken: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'Provider support signed in with Entra ID: an access token for this API from the provider\'s own tenant ' +
      '(`PROVIDER_TENANT_ID`) whose `roles` contains `PROVIDER_SUPPORT_ROLE` (`Provider.Support`), for a user or an ' +
      'application. A token from another tenant gets 401, one without the role 403. The audit log records the user or ' +
      'application; a request with the function key is recorded as the function key.',
  },
  consoleToken: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'An Entra ID v2 delegated access token for this API whose `scp` contains `API_SCOPE` (`access_as_user`), issued to a ' +
      'member of the tenant\'s full or restricted access group (and, where `CONSOLE_CLIENT_IDS` is set, obtained by one of ' +
      'those applications). App-only tokens and tokens for another scope get 403 `insufficient_scope`.',
  },
  userToken: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'The signed-in device user\'s Entra ID v2 delegated access token for this API (`scp` contains `API_SCOPE`; where ' +
      '`AGENT_CLIENT_IDS` is set, obtained by one of those applications). App-only tokens get 403.',
  },
  deviceCredential: {
    type: 'http',
    scheme: 'bearer',
    description: 'The device credential returned by activation.',
  },
};

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const converted = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonObject;
  delete converted.$schema;
  return converted;
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonObject[] {
  if (!schema) return [];
  const converted = jsonSchema(schema, 'input');
  const properties = (converted.properties ?? {}) as Record<string, JsonObject>;
  const required = new Set((converted.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
    schema: property,
  }));
}

export function buildOpenApiDocument(
  routes: readonly RouteSpec[],
  info: { title: string; version: string; description?: string; serverUrl?: string },
): JsonObject {
  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const route of routes) {
    const path = `/api/${route.route}`;
    const responses: Record<string, JsonObject> = {};
    for (const [status, response] of Object.entries(route.responses)) {
      responses[status] = {
        description: response.description,
        ...(response.headers
          ? {
              headers: Object.fromEntries(
                Object.entries(response.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }]),
              ),
            }
          : {}),
        ...(response.schema
          ? { content: { [response.contentType ?? 'application/json']: { schema: jsonSchema(response.schema, 'output') } } }
          : response.contentType
            ? { content: { [response.contentType]: { schema: { type: 'string' } } } }
            : {}),
      };
    }
    responses.default = {
      description: 'A problem: invalid input (400/413/415), authentication (401/403), not found, conflict, or a fault.',
      content: { [problemContentType]: { schema: { $ref: '#/components/schemas/Problem' } } },
    };
    const operation: JsonObject = {
      operationId: operationId(route),
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: route.tags,
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
      ...(route.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } } }
        : {}),
      responses,
      security:
        route.security === 'anonymous'
          ? []
          : route.security === 'provider'
            ? [{ functionKey: [] }, { providerToken: [] }]
            : [{ [route.security]: [] }],
    };
    (paths[path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, ...(info.description ? { description: info.description } : {}) },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    paths,
    components: { schemas: { Problem: problemSchema }, securitySchemes },
  };
}

function operationId(route: RouteSpec): string {
  const words = route.route
    .split('/')
    .filter((part) => part !== '' && part !== 'v1')
    .map((part) => part.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)/g, (_m, c: string) => c.toUpperCase()));
  const name = words.map((word, index) => (index === 0 ? word : word.charAt(0).toUpperCase() + word.slice(1))).join('');
  return `${route.method.toLowerCase()}${name.charAt(0).toUpperCase()}${name.slice(1)}`;
}
