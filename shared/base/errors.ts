/** Any caught value as an Error, so callers can rely on `.message` and `.name`. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === 'string') return new Error(value);
  try {
    return new Error(JSON.stringify(value));
  } catch {
    return new Error(String(value));
  }
}

/** The HTTP status of an SDK or fetch error, when it carries one. */
export function statusOf(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  for (const key of ['statusCode', 'status']) {
    const status = record[key];
    if (typeof status === 'number') return status;
  }
  return undefined;
}
