/**
 * The core ports every capability may ask for, as types only. A use case names the ones it uses
 * (`Pick<CorePorts, 'tables' | 'clock'>` plus its own runtime); the composition root (shared/app/services.ts)
 * builds them once per process.
 */
import type { Clock } from './base/clock.js';
import type { Config } from './base/config.js';
import type { Logger } from './base/logger.js';
import type { SecretBox } from './base/secretBox.js';
import type { GraphAccess } from './graph/graphAccess.js';
import type { QueueSenders } from './queues/queue.js';
import type { TableStore } from './storage/index.js';

export interface CorePorts {
  readonly config: Config;
  readonly clock: Clock;
  readonly log: Logger;
  readonly tables: TableStore;
  /** Senders of our queues (Service Bus in Azure, the local host's stand-in on one machine). */
  readonly queues: QueueSenders;
  /** Microsoft Graph and the Intune partner API with the app's token for each customer tenant. */
  readonly graph: GraphAccess;
  /** Seals and opens the secrets kept in table rows, with a key the tables do not hold. */
  readonly secrets: SecretBox;
}
