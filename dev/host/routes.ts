/**
 * Azure Functions (ASP.NET Core) route templates, as the Functions host matches them:
 * - literal segments, compared case-insensitively;
 * - `{name}` parameters, optional `{name?}` (trailing segments only), catch-all `{*rest}` (last segment only);
 * - inline constraints such as `{id:guid}`, `{n:int}`, `{name:alpha:minlength(2)}`, `{x:regex(^a+$)}`;
 * - the route prefix (`api` by default, from host.json `extensions.http.routePrefix`);
 * - parameters are URL-decoded, one segment at a time (an encoded `/` stays inside its parameter).
 * When several templates match a path, the most specific wins: literal segments beat constrained parameters,
 * which beat plain parameters, then optional ones, then catch-alls.
 */

export class RouteTemplateError extends Error {
  readonly code = 'ERR_ROUTE_TEMPLATE';
  constructor(
    readonly template: string,
    detail: string,
  ) {
    super(`Invalid route template "${template}": ${detail}`);
    this.name = 'RouteTemplateError';
  }
}

type Constraint = (value: string) => boolean;

type Segment =
  | { kind: 'literal'; text: string }
  | { kind: 'param'; name: string; constraints: Constraint[]; optional: boolean; defaultValue?: string; catchAll: boolean };

export interface RouteDefinition<T> {
  readonly method: string;
  /** The template without the route prefix, e.g. `v1/devices/{deviceId:guid}`. */
  readonly template: string;
  readonly value: T;
}

export type RouteMatch<T> =
  | { readonly kind: 'match'; readonly value: T; readonly params: Record<string, string>; readonly template: string }
  | { readonly kind: 'notFound' }
  | { readonly kind: 'methodNotAllowed'; readonly allow: readonly string[] };

const guidPattern = /^[{(]?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}[)}]?$/i;
const integerPattern = /^[+-]?\d+$/;
const decimalPattern = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function numericArguments(template: string, name: string, args: string | undefined, count: number): number[] {
  const values = (args ?? '').split(',').map((part) => Number(part.trim()));
  if (values.length !== count || values.some((value) => !Number.isFinite(value))) {
    throw new RouteTemplateError(template, `constraint ${name} needs ${count} numeric argument(s)`);
  }
  return values;
}

function inRange(value: string, low: number, high: number, pattern: RegExp): boolean {
  if (!pattern.test(value)) return false;
  const n = Number(value);
  return n >= low && n <= high;
}

/** The inline constraints ASP.NET Core routing knows (the ones a route of ours could reasonably use). */
function constraint(template: string, spec: string): Constraint {
  const match = /^([A-Za-z]+)(?:\((.*)\))?$/s.exec(spec);
  if (!match?.[1]) throw new RouteTemplateError(template, `bad constraint "${spec}"`);
  const name = match[1].toLowerCase();
  const args = match[2];
  const int32 = (value: string) => inRange(value, -2147483648, 2147483647, integerPattern);
  switch (name) {
    case 'int':
      return int32;
    case 'long':
      return (value) => integerPattern.test(value) && BigInt(value) >= -(2n ** 63n) && BigInt(value) < 2n ** 63n;
    case 'bool':
      return (value) => /^(true|false)$/i.test(value);
    case 'guid':
      return (value) => guidPattern.test(value) && !/^[{(]/.test(value) === !/[)}]$/.test(value);
    case 'alpha':
      return (value) => /^[A-Za-z]+$/.test(value);
    case 'decimal':
    case 'double':
    case 'float':
      return (value) => decimalPattern.test(value);
    case 'datetime':
      return (value) => !Number.isNaN(Date.parse(value));
    case 'minlength': {
      const [min = 0] = numericArguments(template, name, args, 1);
      return (value) => value.length >= min;
    }
    case 'maxlength': {
      const [max = 0] = numericArguments(template, name, args, 1);
      return (value) => value.length <= max;
    }
    case 'length': {
      const bounds = (args ?? '').includes(',') ? numericArguments(template, name, args, 2) : numericArguments(template, name, args, 1);
      const [low = 0, high = low] = bounds;
      return (value) => value.length >= low && value.length <= high;
    }
    case 'min': {
      const [min = 0] = numericArguments(template, name, args, 1);
      return (value) => integerPattern.test(value) && Number(value) >= min;
    }
    case 'max': {
      const [max = 0] = numericArguments(template, name, args, 1);
      return (value) => integerPattern.test(value) && Number(value) <= max;
    }
    case 'range': {
      const [low = 0, high = 0] = numericArguments(template, name, args, 2);
      return (value) => inRange(value, low, high, integerPattern);
    }
    case 'regex': {
      if (args === undefined) throw new RouteTemplateError(template, 'regex constraint needs a pattern');
      let pattern: RegExp;
      try {
        pattern = new RegExp(args, 'i');
      } catch {
        throw new RouteTemplateError(template, `bad regex "${args}"`);
      }
      return (value) => pattern.test(value);
    }
    default:
      throw new RouteTemplateError(template, `unknown constraint "${name}"`);
  }
}

/** Splits `name:c1:c2(args)` at colons outside parentheses. */
function splitConstraints(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of body) {
    if (char === '(') depth += 1;
    if (char === ')') depth = Math.max(0, depth - 1);
    if (char === ':' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

export function parseTemplate(template: string): Segment[] {
  const trimmed = template.replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return [];
  const raw = trimmed.split('/');
  const segments = raw.map((text, index): Segment => {
    if (text === '') throw new RouteTemplateError(template, 'empty segment');
    if (!text.startsWith('{')) {
      if (/[{}]/.test(text)) throw new RouteTemplateError(template, `segment "${text}" mixes text and parameters`);
      return { kind: 'literal', text: text.toLowerCase() };
    }
    if (!text.endsWith('}')) throw new RouteTemplateError(template, `segment "${text}" mixes text and parameters`);
    let body = text.slice(1, -1);
    let catchAll = false;
    if (body.startsWith('**')) {
      catchAll = true;
      body = body.slice(2);
    } else if (body.startsWith('*')) {
      catchAll = true;
      body = body.slice(1);
    }
    if (catchAll && index !== raw.length - 1) throw new RouteTemplateError(template, 'a catch-all must be the last segment');
    let defaultValue: string | undefined;
    const equals = body.indexOf('=');
    if (equals >= 0 && !body.slice(0, equals).includes('(')) {
      defaultValue = body.slice(equals + 1);
      body = body.slice(0, equals);
    }
    let optional = false;
    if (body.endsWith('?')) {
      optional = true;
      body = body.slice(0, -1);
    }
    const [name = '', ...specs] = splitConstraints(body);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new RouteTemplateError(template, `bad parameter name "${name}"`);
    return {
      kind: 'param',
      name,
      constraints: specs.map((spec) => constraint(template, spec)),
      optional: optional || catchAll || defaultValue !== undefined,
      ...(defaultValue !== undefined ? { defaultValue } : {}),
      catchAll,
    };
  });
  const names = new Set<string>();
  let seenOptional = false;
  for (const segment of segments) {
    if (segment.kind === 'literal') {
      if (seenOptional) throw new RouteTemplateError(template, 'an optional parameter must be at the end');
      continue;
    }
    const key = segment.name.toLowerCase();
    if (names.has(key)) throw new RouteTemplateError(template, `parameter "${segment.name}" appears twice`);
    names.add(key);
    if (segment.optional) seenOptional = true;
    else if (seenOptional) throw new RouteTemplateError(template, 'an optional parameter must be at the end');
  }
  return segments;
}

/** Per-segment precedence, lower is more specific. */
function rank(segment: Segment): number {
  if (segment.kind === 'literal') return 1;
  if (segment.catchAll) return 5;
  if (segment.optional) return 4;
  return segment.constraints.length > 0 ? 2 : 3;
}

function comparePrecedence(a: Segment[], b: Segment[]): number {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i += 1) {
    const left = a[i];
    const right = b[i];
    if (!left || !right) return left ? -1 : 1;
    const difference = rank(left) - rank(right);
    if (difference !== 0) return difference;
  }
  return 0;
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function matchSegments(segments: readonly Segment[], parts: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i += 1) {
    const segment = segments[i];
    if (!segment) return undefined;
    const part = parts[i];
    if (segment.kind === 'literal') {
      if (part === undefined) return undefined;
      const decoded = decodeSegment(part);
      if (decoded === undefined || decoded.toLowerCase() !== segment.text) return undefined;
      continue;
    }
    if (segment.catchAll) {
      const rest = parts.slice(i).map(decodeSegment);
      if (rest.some((value) => value === undefined)) return undefined;
      const value = rest.join('/');
      if (value === '') {
        if (segment.defaultValue !== undefined) params[segment.name] = segment.defaultValue;
        return params;
      }
      if (!segment.constraints.every((check) => check(value))) return undefined;
      params[segment.name] = value;
      return params;
    }
    if (part === undefined) {
      if (!segment.optional) return undefined;
      if (segment.defaultValue !== undefined) params[segment.name] = segment.defaultValue;
      continue;
    }
    const value = decodeSegment(part);
    if (value === undefined || value === '') return undefined;
    if (!segment.constraints.every((check) => check(value))) return undefined;
    params[segment.name] = value;
  }
  const last = segments[segments.length - 1];
  if (parts.length > segments.length && !(last?.kind === 'param' && last.catchAll)) return undefined;
  return params;
}

interface CompiledRoute<T> {
  readonly method: string;
  readonly template: string;
  readonly segments: Segment[];
  readonly value: T;
}

/** A set of routes under one prefix, matched the way the Functions host matches them. */
export class RouteTable<T> {
  private readonly routes: CompiledRoute<T>[];
  private readonly prefix: string[];

  constructor(definitions: readonly RouteDefinition<T>[], options: { prefix?: string } = {}) {
    this.prefix = (options.prefix ?? 'api')
      .split('/')
      .filter((part) => part !== '')
      .map((part) => part.toLowerCase());
    this.routes = definitions
      .map((definition) => ({
        method: definition.method.toUpperCase(),
        template: definition.template,
        segments: parseTemplate(definition.template),
        value: definition.value,
      }))
      .sort((a, b) => comparePrecedence(a.segments, b.segments));
  }

  /** Matches a request's method and raw (still percent-encoded) path, e.g. `/api/v1/devices/abc`. */
  match(method: string, pathname: string): RouteMatch<T> {
    const parts = pathname.split('/').filter((part, index, all) => part !== '' || (index > 0 && index < all.length - 1));
    if (parts.length < this.prefix.length) return { kind: 'notFound' };
    for (let i = 0; i < this.prefix.length; i += 1) {
      if (decodeSegment(parts[i] ?? '')?.toLowerCase() !== this.prefix[i]) return { kind: 'notFound' };
    }
    const rest = parts.slice(this.prefix.length);
    const upper = method.toUpperCase();
    const allow = new Set<string>();
    for (const route of this.routes) {
      const params = matchSegments(route.segments, rest);
      if (!params) continue;
      if (route.method === upper) return { kind: 'match', value: route.value, params, template: route.template };
      allow.add(route.method);
    }
    return allow.size > 0 ? { kind: 'methodNotAllowed', allow: [...allow].sort() } : { kind: 'notFound' };
  }
}
