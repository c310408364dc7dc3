/**
 * Types of routes CONTRACT.md names whose schemas are not in this repository yet (the connector health, the event
 * feed's page, the regrade job). When their zod schemas land in shared/, these become type-only imports as in
 * ./types.ts. The pages that use them show "not available on this server" on a 404.
 */
import type { EventType, ServiceEvent } from './types.js';

/** The event types (shared/events/event.ts), as values for the filters; the checks below keep the lists equal. */
export const eventTypes = [
  'threat.detected',
  'threat.resolved',
  'device.discovered',
  'device.status_changed',
  'device.risk_changed',
  'device.enforcement_failed',
  'audit.recorded',
  'connector.health_changed',
] as const satisfies readonly EventType[];
type MissingEventTypes = Exclude<EventType, (typeof eventTypes)[number]>;
/** Fails to compile when the service gains an event type this list lacks. */
export const eventTypesComplete: MissingEventTypes extends never ? true : false = true;

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

export interface EventPage {
  items: ServiceEvent[];
  nextCursor: string | null;
}
