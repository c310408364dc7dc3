/**
 * Every function of the app, listed once: its name (as registered with Azure), trigger and handler factory.
 * `index.ts` registers these with @azure/functions; the local host (dev/) serves the same list.
 */
import type { RouteSpec } from '../shared/http/route.js';
import { complianceQueueName } from '../shared/devices/complianceNudges.js';
import { sliceQueueName } from '../shared/slices/sliceJobs.js';
import { tenantJobsQueueName } from '../shared/jobs/messages.js';
import { webhookQueueName } from '../shared/webhooks/delivery.js';
import { httpFunction, queueFunction, timerFunction, type CatalogEntry, type HttpFunction } from './handlers.js';
import { health, healthRoute } from './health.js';
import { openApi, openApiRoute } from './openApi.js';
import { complianceUpdates } from './complianceUpdates.js';
import { reconcile } from './reconcile.js';
import { consoleClassificationsList, consoleClassificationsListRoute } from './consoleClassificationsList.js';
import { consoleClassificationsPreview, consoleClassificationsPreviewRoute } from './consoleClassificationsPreview.js';
import { consoleClassificationsPut, consoleClassificationsPutRoute } from './consoleClassificationsPut.js';
import { consoleClassificationsReset, consoleClassificationsResetRoute } from './consoleClassificationsReset.js';
import { consoleRegradeGet, consoleRegradeGetRoute } from './consoleRegradeGet.js';
import { deviceSlices } from './deviceSlices.js';
import { enrollmentSync } from './enrollmentSync.js';
import { consoleSyncNow, consoleSyncNowRoute } from './consoleSyncNow.js';
import { consoleDevices, consoleDevicesRoute } from './consoleDevices.js';
import { consoleDevicesGet, consoleDevicesGetRoute } from './consoleDevicesGet.js';
import { consoleSummary, consoleSummaryRoute } from './consoleSummary.js';
import { consoleCoverage, consoleCoverageRoute } from './consoleCoverage.js';
import { consoleDevicesExport, consoleDevicesExportRoute } from './consoleDevicesExport.js';
import { consoleAuditLogExport, consoleAuditLogExportRoute } from './consoleAuditLogExport.js';
import { consoleDeviceTimeline, consoleDeviceTimelineRoute } from './consoleDeviceTimeline.js';
import { deviceActivate, deviceActivateRoute } from './deviceActivate.js';
import { deviceChallenge, deviceChallengeRoute } from './deviceChallenge.js';
import { deviceHeartbeat, deviceHeartbeatRoute } from './deviceHeartbeat.js';
import { deviceThreatReport, deviceThreatReportRoute } from './deviceThreatReport.js';
import { heartbeatCheck } from './heartbeatCheck.js';
import { mail } from './mail.js';
import { providerTenants, provisionTenantRoute } from './providerTenants.js';
import { providerTenant, providerTenantRoute } from './providerTenant.js';
import { providerTenantsList, providerTenantsListRoute } from './providerTenantsList.js';
import { providerTenantOffboard, providerTenantOffboardRoute } from './providerTenantOffboard.js';
import { providerUsage, providerUsageRoute } from './providerUsage.js';
import { providerAuditLog, providerAuditLogRoute } from './providerAuditLog.js';
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
import { consoleWebhooksList, consoleWebhooksListRoute } from './consoleWebhooksList.js';
import { consoleWebhooksCreate, consoleWebhooksCreateRoute } from './consoleWebhooksCreate.js';
import { consoleWebhooksGet, consoleWebhooksGetRoute } from './consoleWebhooksGet.js';
import { consoleWebhooksUpdate, consoleWebhooksUpdateRoute } from './consoleWebhooksUpdate.js';
import { consoleWebhooksDelete, consoleWebhooksDeleteRoute } from './consoleWebhooksDelete.js';
import { consoleWebhooksTest, consoleWebhooksTestRoute } from './consoleWebhooksTest.js';
import { consoleWebhooksRotateSecret, consoleWebhooksRotateSecretRoute } from './consoleWebhooksRotateSecret.js';
import { consoleWebhookDeliveries, consoleWebhookDeliveriesRoute } from './consoleWebhookDeliveries.js';
import { consoleWebhookRedeliver, consoleWebhookRedeliverRoute } from './consoleWebhookRedeliver.js';
import { webhookDeliveries } from './webhookDeliveries.js';
import { consoleHealth, consoleHealthRoute } from './consoleHealth.js';
import { tenantJobs } from './tenantJobs.js';
import { consoleDeviceOverridePut, consoleDeviceOverridePutRoute } from './consoleDeviceOverridePut.js';
import { consoleDeviceOverrideDelete, consoleDeviceOverrideDeleteRoute } from './consoleDeviceOverrideDelete.js';
import { consoleAppRulesList, consoleAppRulesListRoute } from './consoleAppRulesList.js';
import { consoleAppRulesPut, consoleAppRulesPutRoute } from './consoleAppRulesPut.js';
import { consoleAppRulesDelete, consoleAppRulesDeleteRoute } from './consoleAppRulesDelete.js';
import { consoleAppRulesPreview, consoleAppRulesPreviewRoute } from './consoleAppRulesPreview.js';
import { overrideExpiry } from './overrideExpiry.js';

export const catalog: readonly CatalogEntry[] = [
  httpFunction('health', healthRoute, health),
  httpFunction('openApi', openApiRoute, (services) => openApi(() => httpRoutes(), services.config.PUBLIC_BASE_URL)),
  timerFunction('enrollmentSync', '%ENROLLMENT_SYNC_SCHEDULE%', enrollmentSync),
  httpFunction('consoleSyncNow', consoleSyncNowRoute, (services) => consoleSyncNow(services)),
  httpFunction('consoleDevices', consoleDevicesRoute, consoleDevices),
  httpFunction('consoleDevicesGet', consoleDevicesGetRoute, consoleDevicesGet),
  httpFunction('consoleSummary', consoleSummaryRoute, consoleSummary),
  httpFunction('consoleCoverage', consoleCoverageRoute, consoleCoverage),
  httpFunction('consoleDevicesExport', consoleDevicesExportRoute, consoleDevicesExport),
  httpFunction('consoleAuditLogExport', consoleAuditLogExportRoute, consoleAuditLogExport),
  httpFunction('consoleDeviceTimeline', consoleDeviceTimelineRoute, consoleDeviceTimeline),
  httpFunction('deviceChallenge', deviceChallengeRoute, deviceChallenge),
  httpFunction('deviceActivate', deviceActivateRoute, deviceActivate),
  httpFunction('deviceHeartbeat', deviceHeartbeatRoute, deviceHeartbeat),
  httpFunction('deviceThreatReport', deviceThreatReportRoute, deviceThreatReport),
  timerFunction('heartbeatCheck', '%HEARTBEAT_CHECK_SCHEDULE%', heartbeatCheck),
  timerFunction('mail', '%MAIL_SCHEDULE%', mail),
  httpFunction('providerTenants', provisionTenantRoute, providerTenants),
  httpFunction('providerTenant', providerTenantRoute, providerTenant),
  httpFunction('providerTenantsList', providerTenantsListRoute, providerTenantsList),
  httpFunction('providerTenantOffboard', providerTenantOffboardRoute, providerTenantOffboard),
  httpFunction('providerUsage', providerUsageRoute, providerUsage),
  httpFunction('providerAuditLog', providerAuditLogRoute, providerAuditLog),
  httpFunction('consentStart', consentStartRoute, consentStart),
  httpFunction('consentCallback', consentCallbackRoute, consentCallback),
  httpFunction('consoleMe', consoleMeRoute, consoleMe),
  httpFunction('consoleConnectorGet', consoleConnectorGetRoute, consoleConnectorGet),
  httpFunction('consoleConnectorPut', consoleConnectorPutRoute, consoleConnectorPut),
  httpFunction('consoleEnrollmentGroupsList', consoleEnrollmentGroupsListRoute, consoleEnrollmentGroupsList),
  httpFunction('consoleEnrollmentGroupsAdd', consoleEnrollmentGroupsAddRoute, consoleEnrollmentGroupsAdd),
  httpFunction('consoleEnrollmentGroupsRemove', consoleEnrollmentGroupsRemoveRoute, consoleEnrollmentGroupsRemove),
  httpFunction('consoleNotificationsGet', consoleNotificationsGetRoute, consoleNotificationsGet),
  httpFunction('consoleNotificationsPut', consoleNotificationsPutRoute, consoleNotificationsPut),
  httpFunction('consoleAuditLog', consoleAuditLogRoute, consoleAuditLog),
  queueFunction('complianceUpdates', complianceQueueName, 'many', complianceUpdates),
  timerFunction('reconcile', '%RECONCILE_SCHEDULE%', reconcile),
  httpFunction('consoleClassificationsList', consoleClassificationsListRoute, consoleClassificationsList),
  httpFunction('consoleClassificationsPreview', consoleClassificationsPreviewRoute, consoleClassificationsPreview),
  httpFunction('consoleClassificationsReset', consoleClassificationsResetRoute, consoleClassificationsReset),
  httpFunction('consoleClassificationsPut', consoleClassificationsPutRoute, consoleClassificationsPut),
  httpFunction('events', eventsRoute, events),
  timerFunction('eventsRelay', '%EVENTS_RELAY_SCHEDULE%', eventsRelay),
  httpFunction('consoleWebhooksList', consoleWebhooksListRoute, consoleWebhooksList),
  httpFunction('consoleWebhooksCreate', consoleWebhooksCreateRoute, consoleWebhooksCreate),
  httpFunction('consoleWebhooksGet', consoleWebhooksGetRoute, consoleWebhooksGet),
  httpFunction('consoleWebhooksUpdate', consoleWebhooksUpdateRoute, consoleWebhooksUpdate),
  httpFunction('consoleWebhooksDelete', consoleWebhooksDeleteRoute, consoleWebhooksDelete),
  httpFunction('consoleWebhooksTest', consoleWebhooksTestRoute, consoleWebhooksTest),
  httpFunction('consoleWebhooksRotateSecret', consoleWebhooksRotateSecretRoute, consoleWebhooksRotateSecret),
  httpFunction('consoleWebhookDeliveries', consoleWebhookDeliveriesRoute, consoleWebhookDeliveries),
  httpFunction('consoleWebhookRedeliver', consoleWebhookRedeliverRoute, consoleWebhookRedeliver),
  httpFunction('consoleHealth', consoleHealthRoute, consoleHealth),
  queueFunction('webhookDeliveries', webhookQueueName, 'many', webhookDeliveries),
  httpFunction('consoleRegradeGet', consoleRegradeGetRoute, consoleRegradeGet),
  queueFunction('deviceSlices', sliceQueueName, 'many', deviceSlices),
  queueFunction('tenantJobs', tenantJobsQueueName, 'one', tenantJobs),
  httpFunction('consoleDeviceOverridePut', consoleDeviceOverridePutRoute, consoleDeviceOverridePut),
  httpFunction('consoleDeviceOverrideDelete', consoleDeviceOverrideDeleteRoute, consoleDeviceOverrideDelete),
  httpFunction('consoleAppRulesList', consoleAppRulesListRoute, consoleAppRulesList),
  httpFunction('consoleAppRulesPreview', consoleAppRulesPreviewRoute, consoleAppRulesPreview),
  httpFunction('consoleAppRulesPut', consoleAppRulesPutRoute, consoleAppRulesPut),
  httpFunction('consoleAppRulesDelete', consoleAppRulesDeleteRoute, consoleAppRulesDelete),
  timerFunction('overrideExpiry', '%OVERRIDE_EXPIRY_SCHEDULE%', overrideExpiry),
];

export function httpRoutes(): RouteSpec[] {
  return catalog.filter((entry): entry is HttpFunction => entry.kind === 'http').map((entry) => entry.route);
}
