/** The OpenAPI 3.1 document, generated from the same route declarations and zod schemas that validate requests. */
import { z } from 'zod';
import { problemContentType } from './problem.js';
import type { ResponseSpec, RouteSecurity, RouteSpec } from './route.js';

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
    description:
      'A device activated without a key: the device credential returned by activation (and rotated by heartbeats), sent ' +
      'as `Authorization: Bearer <credential>`, while the tenant\'s `agentTrust.keyBinding` is `optional`. A refused ' +
      'credential gets 401 with `WWW-Authenticate: Bearer realm="device", error="invalid_token"`; activate again.',
  },
  deviceDpop: {
    type: 'http',
    scheme: 'DPoP',
    description:
      'A key-bound device (RFC 9449): `Authorization: DPoP <credential>` plus a `DPoP` header, a compact JWS with header ' +
      '`typ: dpop+jwt`, `alg: ES256`, `jwk` (the device\'s public P-256 key, the one bound at activation) and claims ' +
      '`jti` (new for every request), `htm` (the method), `htu` (`PUBLIC_BASE_URL` + the path, no query), `iat` (within ' +
      '5 minutes of the service\'s clock) and `ath` (base64url SHA-256 of the credential). A missing or bad proof, another ' +
      'key, a replayed `jti`, or a key-bound credential sent as `Bearer`: 401 with `WWW-Authenticate: DPoP ' +
      'error="invalid_dpop_proof"` (`error="invalid_token"` for the credential itself).',
  },
  siemToken: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'An application of the tenant (a SIEM connector): an Entra ID v2 app-only access token for this API (client ' +
      'credentials) whose `roles` contains `Events.Read`. The tenant is the token\'s own; any other app-only token gets 403.',
  },
};

const tagDescriptions: Readonly<Record<string, string>> = {
  operations: 'Liveness and the API description.',
  provider: 'Provider support: provisioning tenants and reading their state.',
  onboarding: "A customer admin's consent.",
  console: "The admin console of a customer's tenant.",
  device: 'The mobile agent: activation, heartbeats and threat reports.',
  events: 'The event feed for SIEMs and scripts.',
  webhooks: 'Webhook endpoints that receive the events (Standard Webhooks signatures).',
};

interface DerivedAnswer {
  readonly description: string;
  readonly headers?: Readonly<Record<string, { readonly description: string; readonly required: boolean }>>;
}

const retryAfter = { description: 'Seconds to wait before retrying.', required: true } as const;
const tokenSecurities = new Set<RouteSecurity>(['provider', 'consoleToken', 'userToken', 'deviceCredential', 'eventsReader']);

/** Securities whose caller belongs to a customer tenant, which may be being offboarded. */
const tenantSecurities: ReadonlySet<RouteSecurity> = new Set<RouteSecurity>(['consoleToken', 'userToken', 'deviceCredential', 'eventsReader']);

/**
 * The problem answers a route gives by what it is, so a route lists only its own (404, 409...): input that fails its
 * schemas, credentials refused or not enough, bodies too large or not JSON, limits, an upstream that cannot check a
 * token, and a fault.
 */
function derivedAnswers(route: RouteSpec): Record<number, DerivedAnswer> {
  const answers: Record<number, DerivedAnswer> = {};
  if (route.body || route.query || route.params) {
    answers[400] = { description: 'The input does not match the route\'s schema; `errors` names each field.' };
  }
  if (route.security !== 'anonymous') {
    const challenged = route.security !== 'functionKey' && route.security !== 'provider';
    answers[401] = {
      description: 'No credential, or one that is refused (expired, wrong audience or issuer, revoked).',
      headers: {
        'WWW-Authenticate': {
          description:
            route.security === 'deviceCredential'
              ? 'The scheme to authenticate with and what failed: `DPoP algs="ES256", error="invalid_dpop_proof"` (the proof) or `error="invalid_token"` (the credential), or `Bearer realm="device"`.'
              : 'The scheme to authenticate with (`Bearer`).',
          required: challenged,
        },
      },
    };
  }
  if (tokenSecurities.has(route.security)) {
    answers[403] = { description: 'The credential is valid but not enough: wrong role or scope, or the tenant is not connected.' };
  }
  if (tenantSecurities.has(route.security)) {
    answers[410] = { description: 'The caller\'s organization is being removed from this service (offboarding); nothing was done.' };
  }
  if (route.body) {
    const limit = route.maxBodyBytes === undefined ? 'the route\'s limit' : `${route.maxBodyBytes} bytes`;
    answers[413] = { description: `The request body is larger than ${limit}.` };
    answers[415] = { description: 'The request body is not sent as `application/json`.' };
  }
  if (route.security === 'deviceCredential' || route.rateLimit !== undefined) {
    answers[429] = {
      description: route.rateLimit ?? 'Too many requests from this device; retry after `Retry-After` seconds.',
      headers: { 'Retry-After': retryAfter },
    };
  }
  answers[500] = { description: 'An unexpected fault; it is logged. Retry later.' };
  if (tokenSecurities.has(route.security) && route.security !== 'deviceCredential') {
    answers[503] = {
      description: 'The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds.',
      headers: { 'Retry-After': retryAfter },
    };
  }
  return answers;
}

function securityOf(route: RouteSpec): JsonObject[] {
  switch (route.security) {
    case 'anonymous':
      return [];
    case 'provider':
      return [{ functionKey: [] }, { providerToken: [] }];
    case 'eventsReader':
      return [{ consoleToken: [] }, { siemToken: [] }];
    case 'deviceCredential':
      return [{ deviceDpop: [] }, { deviceCredential: [] }];
    default:
      return [{ [route.security]: [] }];
  }
}

function headerObjects(
  headers: Readonly<Record<string, { readonly description: string; readonly required: boolean }>>,
): Record<string, JsonObject> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, header]) => [
      name,
      { description: header.description, ...(header.required ? { required: true } : {}), schema: { type: 'string' } },
    ]),
  );
}

/** A route's answers: its own, merged over the derived problem answers; every 4xx/5xx carries a problem body. */
function responsesOf(route: RouteSpec): Record<string, JsonObject> {
  const derived = derivedAnswers(route);
  const statuses = [...new Set([...Object.keys(derived), ...Object.keys(route.responses)].map(Number))].sort((a, b) => a - b);
  const responses: Record<string, JsonObject> = {};
  for (const status of statuses) {
    const own: ResponseSpec | undefined = route.responses[status];
    const common = derived[status];
    const headers = {
      ...common?.headers,
      ...Object.fromEntries(Object.entries(own?.headers ?? {}).map(([name, description]) => [name, { description, required: false }])),
    };
    const content = own?.schema
      ? { [own.contentType ?? 'application/json']: { schema: jsonSchema(own.schema, 'output') } }
      : own?.contentType
        ? { [own.contentType]: { schema: isJsonMediaType(own.contentType) ? {} : { type: 'string' } } }
        : status >= 400
          ? { [problemContentType]: { schema: { $ref: '#/components/schemas/Problem' } } }
          : undefined;
    const alternatives = Object.fromEntries((own?.alternativeContentTypes ?? []).map((type) => [type, { schema: { type: 'string' } }]));
    const allContent = content || Object.keys(alternatives).length > 0 ? { ...content, ...alternatives } : undefined;
    responses[String(status)] = {
      description: own?.description ?? common?.description ?? 'See the route.',
      ...(Object.keys(headers).length > 0 ? { headers: headerObjects(headers) } : {}),
      ...(allContent ? { content: allContent } : {}),
    };
  }
  return responses;
}

function isJsonMediaType(mediaType: string): boolean {
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

function requestBodyOf(route: RouteSpec): JsonObject | undefined {
  if (!route.body) return undefined;
  if (route.requestExample !== undefined) {
    const checked = route.body.safeParse(route.requestExample);
    if (!checked.success) throw new Error(`The request example of ${route.method} ${route.route} does not match its body schema.`);
  }
  return {
    required: true,
    content: {
      'application/json': {
        schema: jsonSchema(route.body, 'input'),
        ...(route.requestExample !== undefined ? { example: route.requestExample } : {}),
      },
    },
  };
}

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

/** The DPoP proof header of key-bound device requests (the `deviceDpop` scheme). */
const dpopHeader: JsonObject = {
  name: 'DPoP',
  in: 'header',
  required: false,
  description: 'The DPoP proof of the device key (required with `Authorization: DPoP`; see the `deviceDpop` security scheme).',
  schema: { type: 'string' },
};

export interface OpenApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description?: string;
  /** PUBLIC_BASE_URL: where the routes are served (`/api/...` below it). */
  readonly serverUrl: string;
}

export function buildOpenApiDocument(routes: readonly RouteSpec[], info: OpenApiInfo): JsonObject {
  const paths: Record<string, Record<string, JsonObject>> = {};
  const operationIds = new Set<string>();
  for (const route of routes) {
    const path = `/api/${route.route}`;
    const id = operationId(route);
    if (operationIds.has(id)) throw new Error(`Two routes have the operationId ${id}.`);
    operationIds.add(id);
    const requestBody = requestBodyOf(route);
    const operation: JsonObject = {
      operationId: id,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: route.tags,
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query'), ...(route.security === 'deviceCredential' ? [dpopHeader] : [])],
      ...(requestBody ? { requestBody } : {}),
      responses: responsesOf(route),
      security: securityOf(route),
    };
    (paths[path] ??= {})[route.method.toLowerCase()] = operation;
  }
  const tags = [...new Set(routes.flatMap((route) => route.tags))].sort();
  return {
    openapi: '3.1.0',
    info: {
      title: info.title,
      version: info.version,
      ...(info.description ? { description: info.description } : {}),
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    servers: [{ url: info.serverUrl, description: 'This deployment (PUBLIC_BASE_URL).' }],
    tags: tags.map((name) => ({ name, description: tagDescriptions[name] ?? `Routes about ${name}.` })),
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
