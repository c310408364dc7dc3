/**
 * ETag optimistic concurrency: read, apply a pure change, write on the condition that nobody wrote in between,
 * and on a lost race re-read and try again (jittered exponential backoff).
 *
 * Updates of one row through one TableClient (one process) take turns, so concurrent invocations in an
 * instance do not race each other for nothing; ETags settle races between instances.
 */
import type { TableClient } from '@azure/data-tables';
import { statusOf } from '../base/errors.js';
import { readEntity, userProperties } from './entities.js';
import type { EntitySchema, StoredEntity } from './entities.js';
import { ConcurrencyExhausted } from './errors.js';

/** Returned by a mutation to leave the entity as it is: nothing is written. */
export const NO_CHANGE: unique symbol = Symbol('NO_CHANGE');
export type NoChange = typeof NO_CHANGE;

/**
 * Given the current entity (undefined when absent), returns the new user properties, `undefined` to delete,
 * or NO_CHANGE. Runs once per attempt, so it must not have side effects.
 */
export type Mutation<T> = (current: StoredEntity<T> | undefined) => T | undefined | NoChange;

export interface UpdateEntityOptions<T> {
  /** Types the entity where it is read. */
  schema: EntitySchema<T>;
  /** Attempts before giving up with ConcurrencyExhausted. Default 20. */
  maxAttempts?: number;
  /** First backoff ceiling in ms, doubled per lost race up to maxDelayMs. Default 10. */
  baseDelayMs?: number;
  /** Largest backoff ceiling in ms. Default 250. */
  maxDelayMs?: number;
}

export interface UpdateEntityResult<T> {
  /** The entity as written (or as read, when unchanged); undefined when absent or deleted. */
  entity: StoredEntity<T> | undefined;
  /** Whether a write (create, replace or delete) happened. */
  changed: boolean;
  attempts: number;
}

/** Statuses that mean someone else changed the entity between our read and our write. */
function lostRace(error: unknown): boolean {
  const status = statusOf(error);
  // 412: ETag no longer matches; 409: created by someone else; 404: deleted by someone else.
  return status === 412 || status === 409 || status === 404;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const inFlight = new WeakMap<TableClient, Map<string, Promise<void>>>();

/** Runs `task` after every earlier task for the same row of the same client has settled. */
function inTurn<R>(table: TableClient, partitionKey: string, rowKey: string, task: () => Promise<R>): Promise<R> {
  let rows = inFlight.get(table);
  if (rows === undefined) {
    rows = new Map();
    inFlight.set(table, rows);
  }
  const key = JSON.stringify([partitionKey, rowKey]);
  const previous = rows.get(key) ?? Promise.resolve();
  const run = previous.then(task);
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  rows.set(key, settled);
  void settled.then(() => {
    if (rows.get(key) === settled) rows.delete(key);
  });
  return run;
}

/**
 * Applies `mutate` to the row and writes the result with optimistic concurrency; see Mutation.
 * Throws ConcurrencyExhausted after `maxAttempts` lost races.
 */
export function updateEntity<T extends object>(
  table: TableClient,
  partitionKey: string,
  rowKey: string,
  mutate: Mutation<T>,
  options: UpdateEntityOptions<T>,
): Promise<UpdateEntityResult<T>> {
  return inTurn(table, partitionKey, rowKey, () => updateWithRetries(table, partitionKey, rowKey, mutate, options));
}

async function updateWithRetries<T extends object>(
  table: TableClient,
  partitionKey: string,
  rowKey: string,
  mutate: Mutation<T>,
  options: UpdateEntityOptions<T>,
): Promise<UpdateEntityResult<T>> {
  const maxAttempts = options.maxAttempts ?? 20;
  const baseDelayMs = options.baseDelayMs ?? 10;
  const maxDelayMs = options.maxDelayMs ?? 250;

  for (let attempt = 1; ; attempt += 1) {
    const current = await readEntity(table, options.schema, partitionKey, rowKey);
    const next = mutate(current);
    if (next === NO_CHANGE || (next === undefined && current === undefined)) {
      return { entity: current, changed: false, attempts: attempt };
    }
    try {
      if (next === undefined) {
        if (current !== undefined) {
          // Delete exactly the version that was read.
          await table.deleteEntity(partitionKey, rowKey, { etag: current.etag });
        }
        return { entity: undefined, changed: true, attempts: attempt };
      }
      const entity = { ...userProperties(next), partitionKey, rowKey };
      const response =
        current === undefined
          ? await table.createEntity(entity)
          : await table.updateEntity(entity, 'Replace', { etag: current.etag });
      return {
        entity: { ...next, partitionKey, rowKey, etag: response.etag ?? '', timestamp: undefined },
        changed: true,
        attempts: attempt,
      };
    } catch (error) {
      if (!lostRace(error)) throw error;
      if (attempt >= maxAttempts) throw new ConcurrencyExhausted(table.tableName, partitionKey, rowKey, attempt);
      await sleep(Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
    }
  }
}
