/** The connector's health (GET /api/v1/console/health): consent, discovery, pushes, webhooks. */
import { queryOptions, useQuery } from '@tanstack/react-query';
import { useSession } from '../context.js';
import { answer, retryUnlessNotAvailable, type ApiClient } from './client.js';
import type { operations } from './schema.js';

export type ConnectorHealth = operations['getConsoleHealth']['responses'][200]['content']['application/json'];
export type HealthCheck = ConnectorHealth['checks'][number];

export const healthKeys = { all: ['health'] as const };

export function healthQueryOptions(api: ApiClient) {
  return queryOptions({
    queryKey: healthKeys.all,
    queryFn: () => answer(api.GET('/api/v1/console/health')),
    retry: retryUnlessNotAvailable,
  });
}

export function useConnectorHealth() {
  const { api } = useSession();
  return useQuery(healthQueryOptions(api));
}
