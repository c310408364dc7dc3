/**
 * The console API's types, inferred from the same zod schemas that validate the API's requests and answers
 * (type-only imports: nothing of the server is bundled). Routes whose schemas are not in this repository yet
 * (health, the event feed's page, the regrade job) are typed from CONTRACT.md in ./pending.ts.
 */
import type { z } from 'zod';
import type { consoleMeResponseSchema } from '../../../functions/consoleMe.js';
import type { deviceDetailSchema, deviceListSchema, consoleDeviceSchema } from '../../../shared/console/devices.js';
import type {
  classificationItemSchema,
  classificationListSchema,
  classificationUpdateResponseSchema,
  previewResponseSchema,
  resetResponseSchema,
} from '../../../shared/console/classifications.js';
import type { enrollmentGroupSchema } from '../../../shared/console/enrollmentGroups.js';
import type { syncNowResponseSchema } from '../../../shared/enrollment/syncNow.js';
import type { auditEntrySchema } from '../../../shared/audit/auditLog.js';
import type { ConnectorSettings, ConnectorSettingsUpdate } from '../../../shared/domain/connectorSettings.js';
import type { NotificationPreferences } from '../../../shared/domain/notificationPreferences.js';
import type { RiskLevel } from '../../../shared/domain/risk.js';
import type { DeviceStatus } from '../../../shared/domain/lifecycle.js';
import type { Classification, ThreatCategory } from '../../../shared/domain/classifications.js';
import type { createdWebhookSchema, rotatedSecretSchema, webhookEndpointSchema } from '../../../shared/webhooks/endpoints.js';
import type { deliveryViewSchema } from '../../../shared/webhooks/deliveries.js';
import type { testDeliverySchema } from '../../../shared/webhooks/actions.js';
import type { EventType, serviceEventSchema } from '../../../shared/events/event.js';

export type Me = z.output<typeof consoleMeResponseSchema>;
export type ConsoleDevice = z.output<typeof consoleDeviceSchema>;
export type DeviceList = z.output<typeof deviceListSchema>;
export type DeviceDetail = z.output<typeof deviceDetailSchema>;
export type ClassificationItem = z.output<typeof classificationItemSchema>;
export type ClassificationList = z.output<typeof classificationListSchema>;
export type ClassificationUpdate = z.output<typeof classificationUpdateResponseSchema>;
export type RegradePreview = z.output<typeof previewResponseSchema>;
export type ResetResponse = z.output<typeof resetResponseSchema>;
export type EnrollmentGroup = z.output<typeof enrollmentGroupSchema>;
export type SyncNowResponse = z.output<typeof syncNowResponseSchema>;
export type AuditEntry = z.output<typeof auditEntrySchema>;
export interface AuditPage {
  items: AuditEntry[];
  nextCursor: string | null;
}
export type { ConnectorSettings, ConnectorSettingsUpdate, NotificationPreferences, RiskLevel, DeviceStatus, Classification, ThreatCategory };
export type Platform = ConsoleDevice['platform'];

export type Webhook = z.output<typeof webhookEndpointSchema>;
export type CreatedWebhook = z.output<typeof createdWebhookSchema>;
export type RotatedSecret = z.output<typeof rotatedSecretSchema>;
export interface WebhookList {
  items: Webhook[];
}
export type Delivery = z.output<typeof deliveryViewSchema>;
export interface DeliveryPage {
  items: Delivery[];
  nextCursor: string | null;
}
export type TestDelivery = z.output<typeof testDeliverySchema>;
export type { EventType };
export type ServiceEvent = z.output<typeof serviceEventSchema>;
