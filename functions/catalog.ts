/**
 * Every function of the app, listed once. `index.ts` registers these with @azure/functions; the local host (dev/)
 * serves the same list. Each handler factory receives the process's services.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext, Timer } from '@azure/functions';
import type { RouteSpec } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';
import type { Config } from '../shared/base/config.js';
export { complianceQueueName } from '../shared/devices/nudges.js';
import { health, healthRoute } from './health.js';
import { openApi, openApiRoute } from './openApi.js';
import { complianceUpdates } from './complianceUpdates.js';
import { reconcile } from './reconcile.js';
import {
  consoleClassificationsList,
  consoleClassificationsListRoute,
  consoleClassificationsPreview,
  consoleClassificationsPreviewRoute,
  consoleClassificationsPut,
  consoleClassificationsPutRoute,
  consoleClassificationsReset,
  consoleClassificationsResetRoute,
  consoleRegradeGet,
  consoleRegradeGetRoute,
} from './consoleClassifications.js';
import { deviceSlices } from './deviceSlices.js';
export { sliceQueueName } from '../shared/slices/sliceJobs.js';
import { enrollmentSync } from './enrollmentSync.js';
import { consoleSyncNow, consoleSyncNowRoute } from './consoleSyncNow.js';
import { consoleDevices, consoleDevicesRoute } from './consoleDevices.js';
import { consoleDevicesGet, consoleDevicesGetRoute } from './consoleDevicesGet.js';
import { deviceActivate, deviceActivateRoute } from './deviceActivate.js';
import { deviceHeartbeat, deviceHeartbeatRoute } from './deviceHeartbeat.js';
import { deviceThreatReport, deviceThreatReportRoute } from './deviceThreatReport.js';
import { heartbeatCheck } from './heartbeatCheck.js';
import { mail } from './mail.js';
import { providerTenants, provisionTenantRoute } from './providerTenants.js';
import { providerTenant, providerTenantRoute } from './providerTenant.js';
import { consentStart, consentStartRoute } from './consentStart.js';
import { consentCallback, consentCallbackRoute } from './consentCallback.js';
import { consoleMe, consoleMeRoute } from './consoleMe.js';
import { consoleConnectorGet, consoleConnectorGetRoute } from './consoleConnectorGet.js';
import { consoleConnectorPut, consoleConnectorPutRoute } from './consoleConnectorPut.js';
import { consoleEnrollmentGroupsList, consoleEnrollmentGroupsListRoute } from './consoleEnrollmentGroupsList.js';
import { consoleEnrollmentGroupsAdd, consoleEnrollmentGroupsAddRoute } from './consoleEnrollmentGroupsAdd.js';
import { consoleEnrollmentGroupsRemove, consoleEnrollmentGroupsRemoveRoute } from './consoleEnrollmentGroupsRemove.js';
import { consoleNotificationsGet, consoleNotificationsGetRoute } from './consoleNotificationsGet.js';
import { consoleNotificationsPut, consoleNotificationsPutRoute } from './consoleNotificationsPut.js';
import { consoleAuditLog, consoleAuditLogRoute } from './consoleAuditLog.js';
import { events, eventsRoute } from './events.js';
import { eventsRelay } from './eventsRelay.js';
import {
  consoleWebhookDeliveries,
  consoleWebhookDeliveriesRoute,
  consoleWebhookRedeliver,
  consoleWebhookRedeliverRoute,
  consoleWebhooksCreate,
  consoleWebhooksCreateRoute,
  consoleWebhooksDelete,
  consoleWebhooksDeleteRoute,
  consoleWebhooksGet,
  consoleWebhooksGetRoute,
  consoleWebhooksList,
  consoleWebhooksListRoute,
  consoleWebhooksRotateSecret,
  consoleWebhooksRotateSecretRoute,
  consoleWebhooksTest,
  consoleWebhooksTestRoute,
  consoleWebhooksUpdate,
  consoleWebhooksUpdateRoute,
} from './consoleWebhooks.js';
import { webhookDeliveries } from './webhookDeliveries.js';
import { consoleHealth, consoleHealthRoute } from './consoleHealth.js';
import { webhookQueueName } from '../shared/webhooks/delivery.js';
import { tenantJobs } from './tenantJobs.js';
export { tenantJobsQueueName } from '../shared/jobs/messages.js';

export type HttpFunctionHandler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;
export type TimerFunctionHandler = (timer: Timer, context: InvocationContext) => Promise<void>;
/**
 * With `cardinality: 'many'`, the bodies of a batch of messages (metadata arrays in `context.triggerMetadata`); with
 * `'one'`, a list of the one message (metadata as single values).
 */
export type QueueFunctionHandler = (messages: unknown[], context: InvocationContext) => Promise<void>;

export interface HttpFunction {
  readonly kind: 'http';
  readonly name: string;
  readonly route: RouteSpec;
  readonly authLevel: 'anonymous' | 'function';
  readonly handler: (services: Services) => HttpFunctionHandler;
}

export interface TimerFunction {
  readonly kind: 'timer';
  readonly name: string;
  /** A 6-field NCRONTAB expression or `%SETTING%`. */
  readonly schedule: string;
  readonly handler: (services: Services) => TimerFunctionHandler;
}

export interface QueueFunction {
  readonly kind: 'serviceBusQueue';
  readonly name: string;
  readonly queueName: string;
  /** App-setting prefix of the Service Bus connection. */
  readonly connection: string;
  /** `many`: batches (metadata arrays in `triggerMetadata`); `one`: one message per invocation, several at once. */
  readonly cardinality: 'many' | 'one';
  readonly handler: (services: Services) => QueueFunctionHandler;
}

export type CatalogEntry = HttpFunction | TimerFunction | QueueFunction;

export const serviceBusConnection = 'ServiceBusConnection';

const http = (
  name: string,
  route: RouteSpec,
  handler: (services: Services) => HttpFunctionHandler,
  authLevel: 'anonymous' | 'function' = route.security === 'functionKey' || route.security === 'provider' ? 'function' : 'anonymous',
): HttpFunction => ({ kind: 'http', name, route, authLevel, handler });

/**
 * The level an HTTP function is registered with at the Functions host. Provider routes are `function` level (the host
 * checks its keys) unless the service checks the provider key itself (`PROVIDER_FUNCTION_KEY`, set with
 * `PROVIDER_TENANT_ID`): then they are anonymous at the host, so a provider support token can reach them, and
 * shared/auth/provider.ts accepts the key or the token.
 */
export function registeredAuthLevel(entry: HttpFunction, config: Pick<Config, 'PROVIDER_FUNCTION_KEY'>): 'anonymous' | 'function' {
  return entry.route.security === 'provider' && config.PROVIDER_FUNCTION_KEY !== undefined ? 'anonymous' : entry.authLevel;
}

export const catalog: readonly CatalogEntry[] = [
  http('health', healthRoute, health),
  http('openApi', openApiRoute, () => openApi(() => httpRoutes())),
  { kind: 'timer', name: 'enrollmentSync', schedule: '%ENROLLMENT_SYNC_SCHEDULE%', handler: enrollmentSync },
  http('consoleSyncNow', consoleSyncNowRoute, (services) => consoleSyncNow(services)),
  http('consoleDevices', consoleDevicesRoute, consoleDevices),
  http('consoleDevicesGet', consoleDevicesGetRoute, consoleDevicesGet),
  http('deviceActivate', deviceActivateRoute, deviceActivate),
  http('deviceHeartbeat', deviceHeartbeatRoute, deviceHeartbeat),
  http('deviceThreatReport', deviceThreatReportRoute, deviceThreatReport),
  { kind: 'timer', name: 'heartbeatCheck', schedule: '%HEARTBEAT_CHECK_SCHEDULE%', handler: heartbeatCheck },
  { kind: 'timer', name: 'mail', schedule: '%MAIL_SCHEDULE%', handler: mail },
  http('providerTenants', provisionTenantRoute, providerTenants),
  http('providerTenant', providerTenantRoute, providerTenant),
  http('consentStart', consentStartRoute, consentStart),
  http('consentCallback', consentCallbackRoute, consentCallback),
  http('consoleMe', consoleMeRoute, consoleMe),
  http('consoleConnectorGet', consoleConnectorGetRoute, consoleConnectorGet),
  http('consoleConnectorPut', consoleConnectorPutRoute, consoleConnectorPut),
  http('consoleEnrollmentGroupsList', consoleEnrollmentGroupsListRoute, consoleEnrollmentGroupsList),
  http('consoleEnrollmentGroupsAdd', consoleEnrollmentGroupsAddRoute, consoleEnrollmentGroupsAdd),
  http('consoleEnrollmentGroupsRemove', consoleEnrollmentGroupsRemoveRoute, consoleEnrollmentGroupsRemove),
  http('consoleNotificationsGet', consoleNotificationsGetRoute, consoleNotificationsGet),
  http('consoleNotificationsPut', consoleNotificationsPutRoute, consoleNotificationsPut),
  http('consoleAuditLog', consoleAuditLogRoute, consoleAuditLog),
  {
    kind: 'serviceBusQueue',
    name: 'complianceUpdates',
    queueName: 'compliance-updates',
    connection: serviceBusConnection,
    cardinality: 'many',
    handler: complianceUpdates,
  },
  { kind: 'timer', name: 'reconcile', schedule: '%RECONCILE_SCHEDULE%', handler: reconcile },
  http('consoleClassificationsList', consoleClassificationsListRoute, consoleClassificationsList),
  http('consoleClassificationsPreview', consoleClassificationsPreviewRoute, consoleClassificationsPreview),
  http('consoleClassificationsReset', consoleClassificationsResetRoute, consoleClassificationsReset),
  http('consoleClassificationsPut', consoleClassificationsPutRoute, consoleClassificationsPut),
  http('events', eventsRoute, events),
  { kind: 'timer', name: 'eventsRelay', schedule: '40 * * * * *', handler: eventsRelay },
  http('consoleWebhooksList', consoleWebhooksListRoute, consoleWebhooksList),
  http('consoleWebhooksCreate', consoleWebhooksCreateRoute, consoleWebhooksCreate),
  http('consoleWebhooksGet', consoleWebhooksGetRoute, consoleWebhooksGet),
  http('consoleWebhooksUpdate', consoleWebhooksUpdateRoute, consoleWebhooksUpdate),
  http('consoleWebhooksDelete', consoleWebhooksDeleteRoute, consoleWebhooksDelete),
  http('consoleWebhooksTest', consoleWebhooksTestRoute, consoleWebhooksTest),
  http('consoleWebhooksRotateSecret', consoleWebhooksRotateSecretRoute, consoleWebhooksRotateSecret),
  http('consoleWebhookDeliveries', consoleWebhookDeliveriesRoute, consoleWebhookDeliveries),
  http('consoleWebhookRedeliver', consoleWebhookRedeliverRoute, consoleWebhookRedeliver),
  http('consoleHealth', consoleHealthRoute, consoleHealth),
  {
    kind: 'serviceBusQueue',
    name: 'webhookDeliveries',
    queueName: webhookQueueName,
    connection: serviceBusConnection,
    cardinality: 'many',
    handler: webhookDeliveries,
  },
  http('consoleRegradeGet', consoleRegradeGetRoute, consoleRegradeGet),
  {
    kind: 'serviceBusQueue',
    name: 'deviceSlices',
    queueName: 'device-slices',
    connection: serviceBusConnection,
    cardinality: 'many',
    handler: deviceSlices,
  },
  {
    kind: 'serviceBusQueue',
    name: 'tenantJobs',
    queueName: 'tenant-jobs',
    connection: serviceBusConnection,
    cardinality: 'one',
    handler: tenantJobs,
  },
];

export function httpRoutes(): RouteSpec[] {
  return catalog.filter((entry): entry is HttpFunction => entry.kind === 'http').map((entry) => entry.route);
}
