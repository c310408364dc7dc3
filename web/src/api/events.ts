/** The tenant's event feed (GET /api/v1/events): oldest first, filtered by type, a page per cursor. */
import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { useSession } from '../context.js';
import { answer, retryUnlessNotAvailable, type ApiClient } from './client.js';
import type { operations } from './schema.js';

export type EventPage = operations['getEvents']['responses'][200]['content']['application/json'];
export type ServiceEvent = EventPage['items'][number];
export type EventType = ServiceEvent['type'];

/** The event types, as values for the filters and the webhook form; the check below keeps the list complete. */
export const eventTypes = [
  'threat.detected',
  'threat.resolved',
  'device.discovered',
  'device.status_changed',
  'device.risk_changed',
  'device.enforcement_failed',
  'audit.recorded',
  'connector.health_changed',
  'device.override_started',
  'device.override_ended',
] as const satisfies readonly EventType[];
type MissingEventTypes = Exclude<EventType, (typeof eventTypes)[number]>;
/** Fails to compile when the service gains an event type this list lacks. */
export const eventTypesComplete: MissingEventTypes extends never ? true : false = true;

export function isEventType(value: string): value is EventType {
  return eventTypes.some((type) => type === value);
}

/** Events per page. */
const pageSize = 50;

export const eventKeys = {
  all: ['events'] as const,
  page: (type: string, cursor: string | null) => ['events', type, cursor] as const,
};

/** A page of events of `type` ('' for every type) after `cursor`. */
export function eventPageQueryOptions(api: ApiClient, type: string, cursor: string | null) {
  return queryOptions({
    queryKey: eventKeys.page(type, cursor),
    queryFn: () =>
      answer(api.GET('/api/v1/events', { params: { query: { limit: pageSize, ...(type ? { types: type } : {}), ...(cursor ? { after: cursor } : {}) } } })),
    placeholderData: keepPreviousData,
    retry: retryUnlessNotAvailable,
  });
}

export function useEventPage(type: string, cursor: string | null) {
  const { api } = useSession();
  return useQuery(eventPageQueryOptions(api, type, cursor));
}
