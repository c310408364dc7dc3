/** A device's timeline (GET /api/v1/console/devices/{deviceId}/timeline): newest first, a page per cursor. */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useSession } from '../context.js';
import { answer, retryUnlessNotAvailable } from './client.js';
import type { operations } from './schema.js';

export type TimelinePage = operations['getConsoleDevicesDeviceIdTimeline']['responses'][200]['content']['application/json'];
export type TimelineItem = TimelinePage['items'][number];

/** Entries per page. */
const pageSize = 25;

export const timelineKeys = {
  all: (deviceId: string) => ['timeline', deviceId] as const,
  page: (deviceId: string, cursor: string | null) => ['timeline', deviceId, cursor] as const,
};

export function useTimelinePage(deviceId: string, cursor: string | null) {
  const { api } = useSession();
  return useQuery({
    queryKey: timelineKeys.page(deviceId, cursor),
    queryFn: () =>
      answer(
        api.GET('/api/v1/console/devices/{deviceId}/timeline', {
          params: { path: { deviceId }, query: { limit: pageSize, ...(cursor ? { cursor } : {}) } },
        }),
      ),
    placeholderData: keepPreviousData,
    retry: retryUnlessNotAvailable,
  });
}
