/**
 * The composition root: every adapter and use case the functions need, built once per process from the settings.
 * Tests and the local host pass overrides for the seams they replace (clock, queue sender).
 */
import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import type { Config } from '../base/config.js';
import { systemClock, type Clock } from '../base/clock.js';
import { consoleLogger, type Logger } from '../base/logger.js';
import { createSecretBox, localKeyWrapper, unconfiguredSecretBox, type SecretBox } from '../base/secretBox.js';
import { keyVaultKeyWrapper } from '../tokens/keyVaultKeys.js';
import type { CorePorts } from '../ports.js';
import { createTableStore, type TableStore } from '../storage/index.js';
import type { QueueSenders } from '../queues/queue.js';
import { createGraphAccess, type GraphAccess } from '../graph/graphAccess.js';
import { createUserTokenValidator, type UserTokenValidator } from '../tokens/entraToken.js';
import { createDeviceRuntime, type DeviceRuntime } from '../devices/runtime.js';
import { createSendGridSender, type MailSender } from '../sendgrid/sendgrid.js';
import { createComplianceRuntime, type ComplianceRuntime } from '../compliance/runtime.js';
import { createServiceBusQueueSenders } from '../queues/serviceBusSender.js';
import { createEventRuntime, type EventRuntime } from '../events/runtime.js';
import { alertMailSubscriber } from '../alerts/pendingAlerts.js';
import { createWebhookRuntime, type WebhookRuntime } from '../webhooks/runtime.js';
import { webhookSubscriber } from '../webhooks/subscriber.js';
import { createHealthRuntime, type HealthRuntime } from '../health/runtime.js';
import { settlesWithin } from '../base/settlesWithin.js';

export interface Services extends CorePorts {
  /** Validation of Entra ID user tokens for our API (console and agent activation). */
  readonly userTokens: UserTokenValidator;
  /** Per-process state of the device API (rate limits, brief caches, per-device lock). */
  readonly devices: DeviceRuntime;
  /** The compliance push's write budget and counters. */
  readonly compliance: ComplianceRuntime;
  /** Outgoing mail (SendGrid); only the mail timer sends. */
  readonly mail: MailSender;
  /** Events: recording, the relay into each tenant's feed, subscribers (webhooks), and feed reads. */
  readonly events: EventRuntime;
  /** Webhook delivery: host resolution, the HTTPS poster, the retry schedule, attempts in flight. */
  readonly webhooks: WebhookRuntime;
  /** Connector health: the consent probe and the brief per-tenant cache of reports. */
  readonly health: HealthRuntime;
}

export interface ServiceOverrides {
  clock?: Clock;
  log?: Logger;
  tables?: TableStore;
  queues?: QueueSenders;
  graph?: GraphAccess;
  userTokens?: UserTokenValidator;
  devices?: DeviceRuntime;
  /** The compliance push's budget and retry timing (default: 200 Intune writes per 20 s). */
  compliance?: ComplianceRuntime;
  mail?: MailSender;
  events?: EventRuntime;
  webhooks?: WebhookRuntime;
  health?: HealthRuntime;
  secrets?: SecretBox;
}

export function createServices(config: Config, overrides: ServiceOverrides = {}): Services {
  const clock = overrides.clock ?? systemClock;
  const log = overrides.log ?? consoleLogger;
  const tables = overrides.tables ?? createTables(config);
  const queues = overrides.queues ?? configuredQueues(config);
  const graph = overrides.graph ?? createGraphAccess(config);
  const userTokens = overrides.userTokens ?? createUserTokenValidator(config, { clock });
  const devices = overrides.devices ?? createDeviceRuntime(tables, clock);
  const compliance = overrides.compliance ?? createComplianceRuntime(tables, clock);
  const mail = overrides.mail ?? createSendGridSender(config, { log });
  const events = overrides.events ?? createEventRuntime(tables, clock, { retentionDays: config.EVENT_RETENTION_DAYS, log });
  // Threat alert mail is built from the published events (shared/alerts/pendingAlerts.ts).
  if (!overrides.events) events.subscribe(alertMailSubscriber(tables, () => clock.now()));
  // Published events go on to webhook delivery (shared/webhooks/subscriber.ts).
  if (!overrides.events) events.subscribe(webhookSubscriber(queues));
  const webhooks = overrides.webhooks ?? createWebhookRuntime();
  const health = overrides.health ?? createHealthRuntime(config);
  const secrets = overrides.secrets ?? createSecrets(config);
  return { config, clock, log, tables, queues, graph, userTokens, devices, compliance, mail, events, webhooks, health, secrets };
}

/**
 * Waits, at most `withinMs`, for the work the services started in the background (relay runs with their deletes and
 * hand-overs, webhook posts) to finish: what a host does after it has stopped taking work and before it exits, so no
 * request is left in flight or retrying. Resolves false if time ran out (what was left is in storage for the safety
 * nets).
 */
export function settleServices(services: Pick<Services, 'events' | 'webhooks'>, withinMs = 10_000): Promise<boolean> {
  return settlesWithin(Promise.all([services.events.idle(), services.webhooks.idle()]), withinMs);
}

/** The Key Vault key in Azure (with the app's identity), the key from the settings locally. */
function createSecrets(config: Config): SecretBox {
  if (config.SECRETS_KEY_VAULT_KEY_ID) {
    const clientId = config.APP_MANAGED_IDENTITY_CLIENT_ID ?? config.AzureWebJobsStorage__clientId;
    return createSecretBox(keyVaultKeyWrapper(config.SECRETS_KEY_VAULT_KEY_ID, clientId ? new ManagedIdentityCredential({ clientId }) : new DefaultAzureCredential()));
  }
  if (config.SECRETS_KEY) {
    const previous = config.SECRETS_PREVIOUS_KEYS.map((key) => Buffer.from(key, 'base64'));
    return createSecretBox(localKeyWrapper(Buffer.from(config.SECRETS_KEY, 'base64'), previous));
  }
  return unconfiguredSecretBox();
}

function createTables(config: Config): TableStore {
  if (config.AzureWebJobsStorage) {
    return createTableStore(
      { connectionString: config.AzureWebJobsStorage },
      { allowInsecureConnection: /^UseDevelopmentStorage=true|DefaultEndpointsProtocol=http;/i.test(config.AzureWebJobsStorage) },
    );
  }
  // Azure: the table endpoint, reached with the user-assigned managed identity (shared keys are off).
  const endpoint = config.AzureWebJobsStorage__tableServiceUri ?? '';
  const clientId = config.AzureWebJobsStorage__clientId;
  return createTableStore({ endpoint, credential: clientId ? new ManagedIdentityCredential({ clientId }) : new DefaultAzureCredential() });
}

/** Service Bus when its namespace is configured (Azure); otherwise sending fails (the local host passes its own). */
function configuredQueues(config: Config): QueueSenders {
  const namespace = config.ServiceBusConnection__fullyQualifiedNamespace;
  if (!namespace) return unconfiguredQueues;
  return createServiceBusQueueSenders({ fullyQualifiedNamespace: namespace, clientId: config.ServiceBusConnection__clientId });
}

const unconfiguredQueues: QueueSenders = (queueName) => ({
  send: () => Promise.reject(new Error(`No sender is configured for queue ${queueName}`)),
});
