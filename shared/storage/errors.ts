/** Typed failures of the storage layer, each with a stable `code`. */

/** An optimistic-concurrency update kept losing the race and gave up. */
export class ConcurrencyExhausted extends Error {
  readonly code = 'ERR_CONCURRENCY';
  constructor(
    readonly table: string,
    readonly partitionKey: string,
    readonly rowKey: string,
    readonly attempts: number,
  ) {
    super(`Gave up updating ${table} (${partitionKey}, ${rowKey}) after ${attempts} conflicting attempts`);
    this.name = 'ConcurrencyExhausted';
  }
}

/** A paging cursor that this service did not issue for this query (the HTTP edge answers 400). */
export class InvalidCursor extends Error {
  readonly code = 'ERR_INVALID_CURSOR';
  constructor(reason: string) {
    super(`Invalid cursor: ${reason}`);
    this.name = 'InvalidCursor';
  }
}

/** A value that cannot be used as a PartitionKey or RowKey, or an encoded key that does not decode. */
export class InvalidKey extends Error {
  readonly code = 'ERR_INVALID_KEY';
  constructor(reason: string) {
    super(`Invalid table key: ${reason}`);
    this.name = 'InvalidKey';
  }
}

/** A stored entity that does not match the schema its reader expects. */
export class EntitySchemaMismatch extends Error {
  readonly code = 'ERR_ENTITY_SCHEMA';
  constructor(
    readonly table: string,
    readonly partitionKey: string,
    readonly rowKey: string,
    readonly issues: string,
  ) {
    super(`Entity ${table} (${partitionKey}, ${rowKey}) does not match its schema: ${issues}`);
    this.name = 'EntitySchemaMismatch';
  }
}
