/**
 * The Table Storage account as the service sees it: one TableClient per logical table, created once and reused,
 * table creation on demand, and a count of every storage round trip.
 */
import { TableClient } from '@azure/data-tables';
import type { TableServiceClientOptions } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import { noteStorageRequest } from './requestCounts.js';

type PipelinePolicy = NonNullable<TableServiceClientOptions['additionalPolicies']>[number]['policy'];

export const tableNames = [
  'tenants',
  'connectorSettings',
  'enrollmentGroups',
  'devices',
  'threats',
  'classificationOverrides',
  'notificationPreferences',
  'auditLog',
  'leases',
  'consentStates',
  'notifications',
  'errorReports',
  'deadLetters',
  'webhooks',
  'webhookDeliveries',
  'tenantHealth',
  'events',
  'sliceJobs',
  'jobSchedule',
  'indexHints',
  'appRules',
  'providerTenants',
  'providerUsage',
  'providerAudit',
] as const;

export type TableName = (typeof tableNames)[number];

export type TableStoreConnection = { connectionString: string } | { endpoint: string; credential: TokenCredential };

export interface TableStoreSettings {
  /** Prepended to every physical table name (letters and digits, starting with a letter), e.g. for test isolation. */
  prefix?: string;
  /**
   * Allow plain http. Defaults to true only when a connection string points at the local storage emulator
   * (`UseDevelopmentStorage=true` or an http endpoint on localhost / 127.0.0.1).
   */
  allowInsecureConnection?: boolean;
}

export interface TableStoreStats {
  /** Storage requests sent, retries included: get, query page, insert, upsert, update, delete, batch submit. */
  transactions: number;
}

export interface TableStore {
  /** The client for a logical table; the same instance on every call. */
  table(name: TableName): TableClient;
  /** The physical (Azure) name of a logical table. */
  physicalName(name: TableName): string;
  /** Creates every table that does not exist yet. Safe to call often and concurrently; runs once when it succeeds. */
  ensureTables(): Promise<void>;
  readonly stats: TableStoreStats;
}

const tableNamePattern = /^[A-Za-z][A-Za-z0-9]{2,62}$/;
const prefixPattern = /^(?:[A-Za-z][A-Za-z0-9]*)?$/;

export function physicalTableName(name: TableName, prefix = ''): string {
  if (!prefixPattern.test(prefix)) {
    throw new Error(`Table prefix must be letters and digits starting with a letter, got "${prefix}"`);
  }
  const physical = prefix + name.charAt(0).toUpperCase() + name.slice(1);
  if (!tableNamePattern.test(physical)) {
    throw new Error(`"${physical}" is not a valid table name (3 to 63 letters and digits)`);
  }
  return physical;
}

const loopbackEmulator = /(?:^|;)\s*UseDevelopmentStorage=true|TableEndpoint=http:\/\/(?:127\.0\.0\.1|localhost|\[::1\])[:/]/i;

function countingPolicy(stats: TableStoreStats): PipelinePolicy {
  return {
    name: 'tableTransactionCounter',
    sendRequest: (request, next) => {
      stats.transactions += 1;
      noteStorageRequest(request.method, request.url);
      return next(request);
    },
  };
}

export function createTableStore(connection: TableStoreConnection, settings: TableStoreSettings = {}): TableStore {
  const prefix = settings.prefix ?? '';
  const physicalNames = new Map<TableName, string>(tableNames.map((name) => [name, physicalTableName(name, prefix)]));
  const stats: TableStoreStats = { transactions: 0 };
  const allowInsecureConnection =
    settings.allowInsecureConnection ??
    ('connectionString' in connection && loopbackEmulator.test(connection.connectionString));
  const options: TableServiceClientOptions = {
    allowInsecureConnection,
    // Per retry, so every request that reaches the service is counted once.
    additionalPolicies: [{ policy: countingPolicy(stats), position: 'perRetry' }],
  };

  const clients = new Map<TableName, TableClient>();

  function physicalName(name: TableName): string {
    const physical = physicalNames.get(name);
    if (physical === undefined) throw new Error(`Unknown table "${String(name)}"`);
    return physical;
  }

  function table(name: TableName): TableClient {
    let client = clients.get(name);
    if (client === undefined) {
      const physical = physicalName(name);
      client =
        'connectionString' in connection
          ? TableClient.fromConnectionString(connection.connectionString, physical, options)
          : new TableClient(connection.endpoint, physical, connection.credential, options);
      clients.set(name, client);
    }
    return client;
  }

  let ensured: Promise<void> | undefined;
  function ensureTables(): Promise<void> {
    ensured ??= Promise.all(tableNames.map((name) => table(name).createTable())).then(
      () => undefined,
      (error: unknown) => {
        // Let a later call try again after a transient failure.
        ensured = undefined;
        throw error;
      },
    );
    return ensured;
  }

  return { table, physicalName, ensureTables, stats };
}
