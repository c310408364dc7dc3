/**
 * Types of routes CONTRACT.md names whose schemas are not in this repository yet (the connector health, the event
 * feed, webhooks, the regrade job). When their zod schemas land in shared/, these become type-only imports as in
 * ./types.ts. The pages that use them show "not available on this server" on a 404.
 */
/** The event types of CONTRACT.md ("Events"). */
export const eventTypes = [
  'threat.detected',
  'threat.resolved',
  'device.discovered',
  'device.status_changed',
  'device.risk_changed',
  'device.enforcement_failed',
  'audit.recorded',
  'connector.health_changed',
] as const;

export interface HealthCheck {
  name: string;
  status: string;
  detail?: string | null;
  checkedAt?: string | null;
}

export interface ConnectorHealth {
  status: 'healthy' | 'degraded' | 'unhealthy';
  checks: HealthCheck[];
}

export interface Regrade {
  id: string;
  /** `running` or `completed`. */
  status: string;
  devicesChanged: number;
  devicesTotal: number;
}

export interface EventItem {
  id?: string;
  type: string;
  time?: string;
  occurredAt?: string;
  data?: unknown;
}

export interface EventPage {
  items: EventItem[];
  nextCursor: string | null;
}

export interface Webhook {
  id: string;
  url: string;
  types: string[];
  description?: string | null;
  enabled: boolean;
  createdAt?: string;
  secret?: string;
}

export interface WebhookList {
  items: Webhook[];
}

export interface Delivery {
  id: string;
  eventId?: string;
  eventType?: string;
  status: string;
  attempts?: number;
  statusCodes?: number[];
  lastStatusCode?: number | null;
  nextAttemptAt?: string | null;
  createdAt?: string;
}

export interface DeliveryPage {
  items: Delivery[];
  nextCursor?: string | null;
}
