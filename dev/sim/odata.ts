/**
 * The OData query options the simulator understands: `$filter` (eq, ne, in, startswith, endswith, and, or,
 * not, parentheses; string comparison ignores case as Graph's directory does), `$select`, `$top`, and page
 * tokens (`$skiptoken`).
 */

export type Row = Record<string, unknown>;
export type Predicate = (row: Row) => boolean;

export class ODataError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ODataError';
  }
}

type Token =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'word'; value: string }
  | { kind: 'punct'; value: '(' | ')' | ',' };

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input.charAt(i);
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= input.length) throw new ODataError('BadRequest', 'Invalid filter clause: unterminated string literal.');
        const c = input.charAt(i);
        if (c === "'") {
          if (input.charAt(i + 1) === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += c;
        i++;
      }
      tokens.push({ kind: 'string', value });
    } else if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ kind: 'punct', value: ch });
      i++;
    } else {
      const m = /^[A-Za-z0-9_./@:-]+/.exec(input.slice(i));
      if (!m) throw new ODataError('BadRequest', `Invalid filter clause: unexpected '${ch}'.`);
      const word = m[0];
      i += word.length;
      if (/^-?\d+(\.\d+)?$/.test(word)) tokens.push({ kind: 'number', value: Number(word) });
      else tokens.push({ kind: 'word', value: word });
    }
  }
  return tokens;
}

function equalValues(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  if (a === undefined) return b === null;
  return a === b;
}

/**
 * Compiles a `$filter` expression. `properties` lists the filterable property names (case-insensitive);
 * any other name answers as Graph does for an unsupported filter.
 */
export function compileFilter(input: string, properties: readonly string[], resource: string): Predicate {
  const tokens = tokenize(input);
  let pos = 0;
  const byLower = new Map(properties.map((p) => [p.toLowerCase(), p]));

  const peek = (): Token | undefined => tokens[pos];
  const isWord = (token: Token | undefined, word: string): boolean =>
    token?.kind === 'word' && token.value.toLowerCase() === word;
  const expectPunct = (value: '(' | ')' | ','): void => {
    const t = tokens[pos++];
    if (t?.kind !== 'punct' || t.value !== value) throw new ODataError('BadRequest', `Invalid filter clause: expected '${value}'.`);
  };
  const property = (): string => {
    const t = tokens[pos++];
    if (t?.kind !== 'word') throw new ODataError('BadRequest', 'Invalid filter clause: expected a property name.');
    const name = byLower.get(t.value.toLowerCase());
    if (!name) {
      throw new ODataError(
        'Request_UnsupportedQuery',
        `Unsupported or invalid query filter clause specified for property '${t.value}' of resource '${resource}'.`,
      );
    }
    return name;
  };
  const literal = (): unknown => {
    const t = tokens[pos++];
    if (!t) throw new ODataError('BadRequest', 'Invalid filter clause: expected a value.');
    if (t.kind === 'string' || t.kind === 'number') return t.value;
    if (t.kind === 'word') {
      const w = t.value.toLowerCase();
      if (w === 'null') return null;
      if (w === 'true') return true;
      if (w === 'false') return false;
      if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(w)) return t.value;
    }
    throw new ODataError('BadRequest', 'Invalid filter clause: expected a literal value.');
  };

  const primary = (): Predicate => {
    const t = peek();
    if (t?.kind === 'punct' && t.value === '(') {
      pos++;
      const inner = orExpr();
      expectPunct(')');
      return inner;
    }
    if (isWord(t, 'not')) {
      pos++;
      const inner = primary();
      return (row) => !inner(row);
    }
    if (isWord(t, 'startswith') || isWord(t, 'endswith')) {
      const fn = (t as { value: string }).value.toLowerCase();
      pos++;
      expectPunct('(');
      const name = property();
      expectPunct(',');
      const value = literal();
      expectPunct(')');
      if (typeof value !== 'string') throw new ODataError('BadRequest', `Invalid filter clause: ${fn} needs a string.`);
      const needle = value.toLowerCase();
      return (row) => {
        const v = row[name];
        if (typeof v !== 'string') return false;
        return fn === 'startswith' ? v.toLowerCase().startsWith(needle) : v.toLowerCase().endsWith(needle);
      };
    }
    const name = property();
    const op = tokens[pos++];
    if (op?.kind !== 'word') throw new ODataError('BadRequest', 'Invalid filter clause: expected an operator.');
    const operator = op.value.toLowerCase();
    if (operator === 'in') {
      expectPunct('(');
      const values: unknown[] = [literal()];
      while (peek()?.kind === 'punct' && (peek() as { value: string }).value === ',') {
        pos++;
        values.push(literal());
      }
      expectPunct(')');
      return (row) => values.some((v) => equalValues(row[name], v));
    }
    const value = literal();
    if (operator === 'eq') return (row) => equalValues(row[name], value);
    if (operator === 'ne') return (row) => !equalValues(row[name], value);
    throw new ODataError('BadRequest', `Invalid filter clause: operator '${op.value}' is not supported.`);
  };
  const andExpr = (): Predicate => {
    let left = primary();
    while (isWord(peek(), 'and')) {
      pos++;
      const l = left;
      const r = primary();
      left = (row) => l(row) && r(row);
    }
    return left;
  };
  const orExpr = (): Predicate => {
    let left = andExpr();
    while (isWord(peek(), 'or')) {
      pos++;
      const l = left;
      const r = andExpr();
      left = (row) => l(row) || r(row);
    }
    return left;
  };

  const predicate = orExpr();
  if (pos !== tokens.length) throw new ODataError('BadRequest', 'Invalid filter clause: unexpected trailing input.');
  return predicate;
}

/**
 * Parses `$select`; undefined when absent. Unknown names answer 400 as Graph does.
 */
export function parseSelect(value: string | null, properties: readonly string[], type: string): string[] | undefined {
  if (value === null || value.trim() === '') return undefined;
  const byLower = new Map(properties.map((p) => [p.toLowerCase(), p]));
  return value.split(',').map((raw) => {
    const name = byLower.get(raw.trim().toLowerCase());
    if (!name) throw new ODataError('BadRequest', `Could not find a property named '${raw.trim()}' on type '${type}'.`);
    return name;
  });
}

/**
 * Keeps the selected properties (plus `id` and `@odata.type`, which Graph always returns). Without `$select`
 * the row itself is returned: callers pass freshly built rows.
 */
export function project(row: Row, select: string[] | undefined): Row {
  if (!select) return row;
  const out: Row = {};
  if (row['@odata.type'] !== undefined) out['@odata.type'] = row['@odata.type'];
  if (row.id !== undefined) out.id = row.id;
  for (const name of select) out[name] = row[name] ?? null;
  return out;
}

export function encodeToken(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function decodeToken(token: string): unknown {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    return value;
  } catch {
    return undefined;
  }
}
