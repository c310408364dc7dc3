/** The tenant's connector settings (GET and PUT /api/v1/console/connector). */
import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSession } from '../context.js';
import { answer, type ApiClient } from './client.js';
import type { operations } from './schema.js';

export type ConnectorSettings = operations['getConsoleConnector']['responses'][200]['content']['application/json'];
export type ConnectorSettingsUpdate = operations['putConsoleConnector']['requestBody']['content']['application/json'];

export const settingsKeys = { all: ['connector'] as const };

export function settingsQueryOptions(api: ApiClient) {
  return queryOptions({
    queryKey: settingsKeys.all,
    queryFn: () => answer(api.GET('/api/v1/console/connector')),
  });
}

export function useConnectorSettings() {
  const { api } = useSession();
  return useQuery(settingsQueryOptions(api));
}

/** Saves the settings; the answer (the settings now in force) replaces the cached ones. */
export function useSaveConnectorSettings() {
  const { api } = useSession();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: ConnectorSettingsUpdate) => answer(api.PUT('/api/v1/console/connector', { body })),
    onSuccess: (saved) => client.setQueryData(settingsKeys.all, saved),
  });
}
