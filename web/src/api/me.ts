/** The signed-in user and their access level (GET /api/v1/console/me): the console asks first, before any page. */
import { queryOptions, useQuery } from '@tanstack/react-query';
import { ApiError, answer, type ApiClient } from './client.js';
import type { operations } from './schema.js';

export type Me = operations['getConsoleMe']['responses'][200]['content']['application/json'];

export const meKeys = { all: ['me'] as const };

export function meQueryOptions(api: ApiClient) {
  return queryOptions({
    queryKey: meKeys.all,
    queryFn: () => answer(api.GET('/api/v1/console/me')),
    // A refusal (403) or a bad sign-in is final; only faults of the service are worth another try.
    retry: (failures, error) => !(error instanceof ApiError && error.status < 500) && failures < 2,
    staleTime: 5 * 60_000,
  });
}

/** Asked with the client the session is built from, so before the session exists. */
export function useMe(api: ApiClient, signedIn: boolean) {
  return useQuery({ ...meQueryOptions(api), enabled: signedIn });
}
