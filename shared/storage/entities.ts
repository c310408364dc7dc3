/**
 * Reading entities through zod schemas: the SDK hands back loosely typed records; every reader names the
 * schema of the properties it expects and gets them typed, plus the system properties.
 */
import type { TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { statusOf } from '../base/errors.js';
import { EntitySchemaMismatch } from './errors.js';

/** The system properties of a stored entity. */
export interface TableEntityMeta {
  partitionKey: string;
  rowKey: string;
  etag: string;
  /** Last modification time as the service recorded it (ISO 8601), when known. */
  timestamp?: string;
}

/** A schema for the user properties of an entity (system properties are not passed to it). */
export type EntitySchema<T> = z.ZodType<T>;

export type StoredEntity<T> = T & TableEntityMeta;

/**
 * Property names the SDK uses for system properties; they, and OData annotations (`odata.*`), are never
 * passed to schemas or written as user properties.
 */
export const systemPropertyNames: ReadonlySet<string> = new Set(['partitionKey', 'rowKey', 'etag', 'timestamp']);

const metaSchema = z.object({
  partitionKey: z.string(),
  rowKey: z.string(),
  etag: z.string(),
  timestamp: z
    .union([z.string(), z.date()])
    .optional()
    .transform((value) => (value instanceof Date ? value.toISOString() : value)),
});

/** The user properties of a record, without system properties. */
export function userProperties(record: object): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(record)) {
    if (!systemPropertyNames.has(name) && !name.startsWith('odata.')) properties[name] = value;
  }
  return properties;
}

/** Types a raw SDK entity through `schema`; a mismatch is an EntitySchemaMismatch. */
export function parseEntity<T>(tableName: string, schema: EntitySchema<T>, raw: object): StoredEntity<T> {
  const meta = metaSchema.safeParse(raw);
  if (!meta.success) {
    throw new EntitySchemaMismatch(tableName, '?', '?', z.prettifyError(meta.error));
  }
  const { partitionKey, rowKey, etag, timestamp } = meta.data;
  const properties = schema.safeParse(userProperties(raw));
  if (!properties.success) {
    throw new EntitySchemaMismatch(tableName, partitionKey, rowKey, z.prettifyError(properties.error));
  }
  const entityMeta: TableEntityMeta =
    timestamp === undefined ? { partitionKey, rowKey, etag } : { partitionKey, rowKey, etag, timestamp };
  return { ...properties.data, ...entityMeta };
}

/** Reads one entity, or undefined when it does not exist. One storage transaction. */
export async function readEntity<T>(
  table: TableClient,
  schema: EntitySchema<T>,
  partitionKey: string,
  rowKey: string,
): Promise<StoredEntity<T> | undefined> {
  try {
    const raw = await table.getEntity(partitionKey, rowKey);
    return parseEntity(table.tableName, schema, raw);
  } catch (error) {
    if (statusOf(error) === 404 && !isTableNotFound(error)) return undefined;
    throw error;
  }
}

/** A 404 because the table itself is missing (as opposed to the entity). */
export function isTableNotFound(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = 'code' in error ? error.code : undefined;
  return code === 'TableNotFound' || error.message.includes('"TableNotFound"');
}
