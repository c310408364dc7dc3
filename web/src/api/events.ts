/**
 * The tenant's event feed (GET /api/v1/events) for people: newest first across the whole feed (`order=newest`, paged
 * back with `before`), filtered by type, a page per cursor.
 */
import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { useSession } from '../context.js';
import { answer, retryUnlessNotAvailable, type ApiClient } from './client.js';
import type { operations } from './schema.js';

type FeedPage = operations['getEvents']['responses'][200]['content']['application/json'];
/** The console reads the native format only: the OCSF items a SIEM asks for (`format=ocsf`) are not its events. */
export type ServiceEvent = Extract<FeedPage['items'][number], { type: string }>;
export type EventPage = Omit<FeedPage, 'items'> & { items: ServiceEvent[] };
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
  'device.attestation_failed',
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

/** A page of events of `type` ('' for every type), newest first, older than `cursor` (null: the newest). */
export function eventPageQueryOptions(api: ApiClient, type: string, cursor: string | null) {
  return queryOptions({
    queryKey: eventKeys.page(type, cursor),
    queryFn: () =>
      answer(
        api.GET('/api/v1/events', {
          params: { query: { order: 'newest', limit: pageSize, ...(type ? { types: type } : {}), ...(cursor ? { before: cursor } : {}) } },
        }),
      ) as Promise<EventPage>,
    placeholderData: keepPreviousData,
    retry: retryUnlessNotAvailable,
  });
}

export function useEventPage(type: string, cursor: string | null) {
  const { api } = useSession();
  return useQuery(eventPageQueryOptions(api, type, cursor));
}
