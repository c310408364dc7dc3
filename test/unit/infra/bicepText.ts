/**
 * Just enough reading of Bicep source text for the consistency checks: object and array literals, string literals,
 * `var` and `resource` declarations. No Bicep compiler runs here; the checks read the files as an operator would.
 */

export interface BicepEntry {
  /** Object property name (unquoted); empty for an array item. */
  readonly key: string;
  /** The value's source text, trimmed, comments removed. */
  readonly raw: string;
}

export class BicepReadError extends Error {
  readonly code = 'ERR_BICEP_READ';
  constructor(message: string) {
    super(message);
    this.name = 'BicepReadError';
  }
}

const closing: Readonly<Record<string, string>> = { '{': '}', '[': ']', '(': ')' };

/** Index just past a `'...'` string starting at `start` (handles `\'` escapes and `${...}` interpolation). */
function skipString(text: string, start: number): number {
  if (text.startsWith("'''", start)) {
    const end = text.indexOf("'''", start + 3);
    if (end < 0) throw new BicepReadError(`unterminated multi-line string at ${start}`);
    return end + 3;
  }
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\\') {
      i += 2;
    } else if (ch === "'") {
      return i + 1;
    } else if (ch === '$' && text[i + 1] === '{') {
      i = skipBalanced(text, i + 1);
    } else {
      i += 1;
    }
  }
  throw new BicepReadError(`unterminated string at ${start}`);
}

/** Index just past a comment starting at `start`, or `start` if there is none. */
function skipComment(text: string, start: number): number {
  if (text.startsWith('//', start)) {
    const end = text.indexOf('\n', start);
    return end < 0 ? text.length : end;
  }
  if (text.startsWith('/*', start)) {
    const end = text.indexOf('*/', start + 2);
    if (end < 0) throw new BicepReadError(`unterminated comment at ${start}`);
    return end + 2;
  }
  return start;
}

/** Index just past the bracket that closes the one at `open` (`{`, `[` or `(`). */
export function skipBalanced(text: string, open: number): number {
  const stack: string[] = [];
  let i = open;
  while (i < text.length) {
    const ch = text[i] ?? '';
    const afterComment = skipComment(text, i);
    if (afterComment !== i) {
      i = afterComment;
      continue;
    }
    if (ch === "'") {
      i = skipString(text, i);
      continue;
    }
    const close = closing[ch];
    if (close) {
      stack.push(close);
    } else if (ch === '}' || ch === ']' || ch === ')') {
      if (stack.pop() !== ch) throw new BicepReadError(`unbalanced '${ch}' at ${i}`);
      if (stack.length === 0) return i + 1;
    }
    i += 1;
  }
  throw new BicepReadError(`no closing bracket for the one at ${open}`);
}

/**
 * The entries of the object or array literal whose opening bracket is at `open`. Entries are separated by new lines
 * or commas at the literal's own level; a line that starts with `?` or `:` continues the previous entry.
 */
export function readLiteral(text: string, open: number): BicepEntry[] {
  const opener = text[open];
  if (opener !== '{' && opener !== '[') throw new BicepReadError(`expected '{' or '[' at ${open}`);
  const end = skipBalanced(text, open) - 1;
  const segments: string[] = [];
  let current = '';
  let i = open + 1;
  while (i < end) {
    const ch = text[i] ?? '';
    const afterComment = skipComment(text, i);
    if (afterComment !== i) {
      i = afterComment;
      continue;
    }
    if (ch === "'") {
      const next = skipString(text, i);
      current += text.slice(i, next);
      i = next;
    } else if (closing[ch]) {
      const next = skipBalanced(text, i);
      current += text.slice(i, next);
      i = next;
    } else if (ch === '\n' || ch === ',') {
      segments.push(current);
      current = '';
      i += 1;
    } else {
      current += ch;
      i += 1;
    }
  }
  segments.push(current);

  const joined: string[] = [];
  for (const segment of segments.map((s) => s.trim()).filter((s) => s !== '')) {
    const previous = joined.length - 1;
    if ((segment.startsWith('?') || segment.startsWith(':')) && previous >= 0) {
      joined[previous] = `${joined[previous]} ${segment}`;
    } else {
      joined.push(segment);
    }
  }
  if (opener === '[') return joined.map((raw) => ({ key: '', raw }));
  return joined.map((segment) => {
    const match = /^('(?:[^'\\]|\\.)*'|[A-Za-z_$][\w$]*)\s*:\s*([\s\S]*)$/.exec(segment);
    if (!match?.[1] || match[2] === undefined) throw new BicepReadError(`not a property: ${segment}`);
    const key = match[1].startsWith("'") ? unquote(match[1]) : match[1];
    return { key, raw: match[2].trim() };
  });
}

/** The value of a plain string literal (`'...'` without interpolation), or undefined for any other expression. */
export function stringLiteral(raw: string): string | undefined {
  if (!/^'(?:[^'\\$]|\\.|\$(?!\{))*'$/.test(raw)) return undefined;
  return unquote(raw);
}

function unquote(quoted: string): string {
  return quoted.slice(1, -1).replace(/\\(.)/g, (_, escaped: string) => {
    switch (escaped) {
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      default:
        return escaped;
    }
  });
}

/** Every index at which `pattern` (a global regex) matches. */
function matchesOf(text: string, pattern: RegExp): RegExpExecArray[] {
  return [...text.matchAll(pattern)];
}

/** The object or array literal a `var` declares, or undefined when the var is not declared as a literal. */
export function varLiteral(text: string, name: string): BicepEntry[] | undefined {
  const found = matchesOf(text, new RegExp(`^\\s*var\\s+${name}\\s*=\\s*([\\[{])`, 'gm'));
  if (found.length > 1) throw new BicepReadError(`var ${name} is declared ${found.length} times`);
  const match = found[0];
  if (!match) return undefined;
  return readLiteral(text, match.index + match[0].length - 1);
}

/** The string value of `var name = '...'`, or undefined. */
export function varString(text: string, name: string): string | undefined {
  const match = new RegExp(`^\\s*var\\s+${name}\\s*=\\s*('(?:[^'\\\\]|\\\\.)*')\\s*$`, 'm').exec(text);
  return match?.[1] ? stringLiteral(match[1]) : undefined;
}

/** A property value that is a string literal or the name of a `var` holding one. */
export function resolveString(text: string, raw: string): string | undefined {
  return stringLiteral(raw) ?? (/^[A-Za-z_]\w*$/.test(raw) ? varString(text, raw) : undefined);
}

export interface BicepResource {
  readonly symbol: string;
  /** e.g. `Microsoft.Storage/storageAccounts` */
  readonly type: string;
  readonly existing: boolean;
  /** The body's properties; undefined for an `existing` declaration read only for its type. */
  readonly body: BicepEntry[];
}

/** Every `resource` declaration in the text. */
export function resources(text: string): BicepResource[] {
  return matchesOf(text, /^\s*resource\s+(\w+)\s+'([^'@]+)@[^']*'\s+(existing\s+)?=/gm).map((match) => {
    const open = text.indexOf('{', match.index + match[0].length);
    return {
      symbol: match[1] ?? '',
      type: match[2] ?? '',
      existing: Boolean(match[3]),
      body: open < 0 ? [] : readLiteral(text, open),
    };
  });
}

/** The first entry named `key`. */
export function entry(entries: readonly BicepEntry[], key: string): BicepEntry | undefined {
  return entries.find((candidate) => candidate.key === key);
}
