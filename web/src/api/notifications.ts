/** The signed-in user's own threat mail preferences (GET and PUT /api/v1/console/me/notifications). */
import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSession } from '../context.js';
import { answer, type ApiClient } from './client.js';
import type { operations } from './schema.js';

export type NotificationPreferences = operations['getConsoleMeNotifications']['responses'][200]['content']['application/json'];
export type NotificationPreferencesUpdate = operations['putConsoleMeNotifications']['requestBody']['content']['application/json'];

export const notificationKeys = { all: ['notifications'] as const };

export function notificationsQueryOptions(api: ApiClient) {
  return queryOptions({
    queryKey: notificationKeys.all,
    queryFn: () => answer(api.GET('/api/v1/console/me/notifications')),
  });
}

export function useNotificationPreferences() {
  const { api } = useSession();
  return useQuery(notificationsQueryOptions(api));
}

/** Saves the preferences; the answer (what is now in force) replaces the cached ones. */
export function useSaveNotificationPreferences() {
  const { api } = useSession();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: NotificationPreferencesUpdate) => answer(api.PUT('/api/v1/console/me/notifications', { body })),
    onSuccess: (saved) => client.setQueryData(notificationKeys.all, saved),
  });
}
