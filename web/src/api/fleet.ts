/**
 * The fleet at a glance (GET /api/v1/console/summary) and enrollment coverage (GET /api/v1/console/coverage): both
 * complete for any fleet size, read from counters the service keeps with its device writes.
 */
import { queryOptions, useQuery } from '@tanstack/react-query';
import { useSession } from '../context.js';
import { answer, retryUnlessNotAvailable, type ApiClient } from './client.js';
import type { operations } from './schema.js';

export type FleetSummary = operations['getConsoleSummary']['responses'][200]['content']['application/json'];
export type Coverage = operations['getConsoleCoverage']['responses'][200]['content']['application/json'];
export type GroupCoverage = Coverage['groups'][number];

export const fleetKeys = {
  summary: ['fleet', 'summary'] as const,
  coverage: ['fleet', 'coverage'] as const,
};

export function summaryQueryOptions(api: ApiClient) {
  return queryOptions({ queryKey: fleetKeys.summary, queryFn: () => answer(api.GET('/api/v1/console/summary')), retry: retryUnlessNotAvailable });
}

export function useFleetSummary() {
  const { api } = useSession();
  return useQuery(summaryQueryOptions(api));
}

export function useCoverage() {
  const { api } = useSession();
  return useQuery({ queryKey: fleetKeys.coverage, queryFn: () => answer(api.GET('/api/v1/console/coverage')), retry: retryUnlessNotAvailable });
}
