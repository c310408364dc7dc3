/**
 * Enrollment groups (/api/v1/console/enrollment-groups) with their resolution status, and a sync now
 * (POST /api/v1/console/enrollment/sync): what decides which users' devices the connector protects.
 */
import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSession } from '../context.js';
import { answer, type ApiClient } from './client.js';
import { deviceKeys } from './devices.js';
import type { operations } from './schema.js';

export type EnrollmentGroupList = operations['getConsoleEnrollmentGroups']['responses'][200]['content']['application/json'];
export type EnrollmentGroup = EnrollmentGroupList['items'][number];
export type SyncNowResponse = operations['postConsoleEnrollmentSync']['responses'][202]['content']['application/json'];

export const enrollmentGroupKeys = { all: ['enrollment-groups'] as const };

export function enrollmentGroupsQueryOptions(api: ApiClient) {
  return queryOptions({
    queryKey: enrollmentGroupKeys.all,
    queryFn: () => answer(api.GET('/api/v1/console/enrollment-groups')),
  });
}

export function useEnrollmentGroups() {
  const { api } = useSession();
  return useQuery(enrollmentGroupsQueryOptions(api));
}

/** The groups decide the fleet: after a change or a sync the groups, the devices and the overview are read again. */
function useEnrollmentChanged(): () => void {
  const client = useQueryClient();
  return () => {
    void client.invalidateQueries({ queryKey: enrollmentGroupKeys.all });
    void client.invalidateQueries({ queryKey: deviceKeys.all });
  };
}

export function useAddEnrollmentGroup() {
  const { api } = useSession();
  const changed = useEnrollmentChanged();
  return useMutation({
    mutationFn: (displayName: string) => answer(api.POST('/api/v1/console/enrollment-groups', { body: { displayName } })),
    onSuccess: changed,
  });
}

export function useRemoveEnrollmentGroup() {
  const { api } = useSession();
  const changed = useEnrollmentChanged();
  return useMutation({
    mutationFn: (displayName: string) => answer(api.DELETE('/api/v1/console/enrollment-groups/{displayName}', { params: { path: { displayName } } })),
    onSuccess: changed,
  });
}

export function useSyncNow() {
  const { api } = useSession();
  const changed = useEnrollmentChanged();
  return useMutation({
    mutationFn: () => answer(api.POST('/api/v1/console/enrollment/sync')),
    onSuccess: changed,
  });
}
