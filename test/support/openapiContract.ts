/**
 * Checks answers against the OpenAPI document the service serves (built from the same route declarations): the
 * status must be one the operation lists, the headers it marks required must be there, the body must have one of the
 * listed media types and, for JSON, match its schema (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses). An answer the
 * document does not describe is a violation. Not routes of the service, so not checked: the dev host's own `/_dev`
 * routes and CORS preflights (the platform's CORS answers those); a path no route has may only answer 404, and a
 * method a path lacks only 405, both as problems.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { z } from 'zod';
import { RouteTable } from '../../dev/host/routes.js';

/** One answer as the caller received it. */
export interface ObservedAnswer {
  readonly method: string;
  /** The request's path, without the query. */
  readonly path: string;
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

const headerSchema = z.object({ required: z.boolean().optional() });
const mediaSchema = z.object({ schema: z.unknown().optional() });
const responseSchema = z.object({
  headers: z.record(z.string(), headerSchema).optional(),
  content: z.record(z.string(), mediaSchema).optional(),
});
const operationSchema = z.object({ operationId: z.string(), responses: z.record(z.string(), responseSchema) });
const documentSchema = z.object({ paths: z.record(z.string(), z.record(z.string(), z.unknown())) });

type ResponseObject = z.output<typeof responseSchema>;

/** An operation of the document: its path (the document's key) and method. */
interface OperationRef {
  readonly path: string;
  readonly method: string;
}

const documentId = 'https://mtd-connector.dev/openapi.json';
const methods = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);
const routePrefix = '/api/';

// ajv-formats is CommonJS: under NodeNext its default import is the module, whose `default` is the plugin.
const addFormats = formats.default;

export class OpenApiContract {
  private readonly ajv: Ajv2020;
  /** Requests reach operations as the host routes them (case, constraints, literal segments before parameters). */
  private readonly routes: RouteTable<OperationRef>;
  private readonly paths: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(document: Readonly<Record<string, unknown>>) {
    this.paths = documentSchema.parse(document).paths;
    // strict: false, as OpenAPI adds keywords of its own (example) to JSON Schema.
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ ...document, $id: documentId });
    this.routes = new RouteTable(
      Object.entries(this.paths).flatMap(([path, operations]) =>
        Object.keys(operations)
          .filter((method) => methods.has(method) && path.startsWith(routePrefix))
          .map((method) => ({ method, template: path.slice(routePrefix.length), value: { path, method } })),
      ),
      { prefix: 'api' },
    );
  }

  /** What is wrong with an answer, or undefined when the document describes it. */
  check(answer: ObservedAnswer): string | undefined {
    const method = answer.method.toLowerCase();
    if (answer.path === '/_dev' || answer.path.startsWith('/_dev/')) return undefined;
    if (method === 'options' && answer.headers['access-control-allow-methods'] !== undefined) return undefined;
    const label = `${answer.method.toUpperCase()} ${answer.path} → ${answer.status}`;
    const matched = this.routes.match(answer.method.toUpperCase(), answer.path);
    if (matched.kind === 'notFound') {
      return answer.status === 404 ? this.checkProblem(label, answer) : `${label}: no path of the document matches`;
    }
    if (matched.kind === 'methodNotAllowed') {
      return answer.status === 405 ? this.checkProblem(label, answer) : `${label}: the path has no ${method} operation`;
    }
    const { path } = matched.value;
    const operation = operationSchema.safeParse(this.paths[path]?.[method]);
    if (!operation.success) return `${label}: ${path} ${method} is not an operation object`;
    const { operationId, responses } = operation.data;
    const statusKey = String(answer.status);
    const wildcard = `${statusKey.charAt(0)}XX`;
    const key = responses[statusKey] ? statusKey : responses[wildcard] ? wildcard : responses.default ? 'default' : undefined;
    if (!key) return `${label}: ${operationId} does not list status ${answer.status} (it lists ${Object.keys(responses).join(', ')})`;
    const response = responses[key] as ResponseObject;
    const pointer = `#/paths/${pointerToken(path)}/${method}/responses/${key}`;
    const problems = [...this.checkHeaders(response, answer), ...this.checkBody(response, pointer, answer, method)];
    return problems.length > 0 ? `${label} (${operationId}): ${problems.join('; ')}` : undefined;
  }

  private checkHeaders(response: ResponseObject, answer: ObservedAnswer): string[] {
    return Object.entries(response.headers ?? {})
      .filter(([name, header]) => header.required === true && answer.headers[name.toLowerCase()] === undefined)
      .map(([name]) => `the required header ${name} is missing`);
  }

  private checkBody(response: ResponseObject, pointer: string, answer: ObservedAnswer, method: string): string[] {
    const content = response.content;
    if (!content || Object.keys(content).length === 0) {
      return answer.body.length === 0 || method === 'head' ? [] : [`a body of ${answer.body.length} bytes where the document lists none`];
    }
    const received = headerValue(answer.headers['content-type'])?.split(';')[0]?.trim().toLowerCase();
    if (received === undefined) return ['no Content-Type where the document lists a body'];
    const mediaType = Object.keys(content).find((listed) => listed.toLowerCase() === received);
    if (mediaType === undefined) return [`Content-Type ${received} is not among ${Object.keys(content).join(', ')}`];
    if (method === 'head' || !isJson(mediaType) || content[mediaType]?.schema === undefined) return [];
    let body: unknown;
    try {
      body = JSON.parse(answer.body.toString('utf8'));
    } catch {
      return [`the ${mediaType} body is not JSON`];
    }
    const validate = this.validator(`${pointer}/content/${pointerToken(mediaType)}/schema`);
    if (validate(body)) return [];
    return [`the body does not match the schema: ${describeErrors(validate.errors)}`];
  }

  private checkProblem(label: string, answer: ObservedAnswer): string | undefined {
    const received = headerValue(answer.headers['content-type'])?.split(';')[0]?.trim();
    if (received !== 'application/problem+json') return `${label}: not a problem+json answer`;
    const validate = this.validator('#/components/schemas/Problem');
    try {
      if (validate(JSON.parse(answer.body.toString('utf8')))) return undefined;
    } catch {
      return `${label}: the problem is not JSON`;
    }
    return `${label}: ${describeErrors(validate.errors)}`;
  }

  private validator(pointer: string): ValidateFunction {
    let validate = this.validators.get(pointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `${documentId}${pointer}` });
      this.validators.set(pointer, validate);
    }
    return validate;
  }
}

/** ajv's errors in words, naming the property an `additionalProperties` error is about. */
function describeErrors(errors: ValidateFunction['errors']): string {
  return (errors ?? [])
    .map((error) => {
      const extra = error.keyword === 'additionalProperties' ? ` (${String((error.params as { additionalProperty?: unknown }).additionalProperty)})` : '';
      return `body${error.instancePath} ${error.message ?? 'is invalid'}${extra}`;
    })
    .join(', ');
}

function isJson(mediaType: string): boolean {
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A JSON Pointer token (RFC 6901), percent-encoded as a URI fragment. */
function pointerToken(value: string): string {
  return encodeURIComponent(value.replace(/~/g, '~0').replace(/\//g, '~1'));
}
