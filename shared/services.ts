/**
 * The composition root: every adapter and use case the functions need, built once per process from the settings.
 * Tests and the local host pass overrides for the seams they replace (clock, queue sender).
 */
import type { Config } from './config.js';
import { systemClock, type Clock } from './clock.js';
import { createTableStore, type TableStore } from './storage/index.js';
import type { QueueSenders } from './queue.js';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const consoleLogger: Logger = {
  info: (message) => console.info(message),
  warn: (message) => console.warn(message),
  error: (message) => console.error(message),
};

export interface Services {
  readonly config: Config;
  readonly clock: Clock;
  readonly log: Logger;
  readonly tables: TableStore;
  /** Senders of our queues (Service Bus in Azure, the local host's stand-in on one machine). */
  readonly queues: QueueSenders;
}

export interface ServiceOverrides {
  clock?: Clock;
  log?: Logger;
  tables?: TableStore;
  queues?: QueueSenders;
}

export function createServices(config: Config, overrides: ServiceOverrides = {}): Services {
  const clock = overrides.clock ?? systemClock;
  const log = overrides.log ?? consoleLogger;
  const tables = overrides.tables ?? createTables(config);
  const queues = overrides.queues ?? unconfiguredQueues;
  return { config, clock, log, tables, queues };
}

function createTables(config: Config): TableStore {
  if (config.AzureWebJobsStorage) {
    return createTableStore(
      { connectionString: config.AzureWebJobsStorage },
      { allowInsecureConnection: /^UseDevelopmentStorage=true|DefaultEndpointsProtocol=http;/i.test(config.AzureWebJobsStorage) },
    );
  }
  throw new Error('AzureWebJobsStorage__tableServiceUri with a managed identity is configured in shared/azure.ts');
}

const unconfiguredQueues: QueueSenders = (queueName) => ({
  send: () => Promise.reject(new Error(`No sender is configured for queue ${queueName}`)),
});
