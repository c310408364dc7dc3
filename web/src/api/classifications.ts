/**
 * The threat classification policy (/api/v1/console/threat-classifications): the levels, the impact of a change
 * before it is saved, a change or a reset, and the queued re-grade that follows either.
 */
import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSession } from '../context.js';
import { answer, type ApiClient } from './client.js';
import { deviceKeys, type RiskLevel } from './devices.js';
import type { operations } from './schema.js';

export type ClassificationList = operations['getConsoleThreatClassifications']['responses'][200]['content']['application/json'];
export type ClassificationItem = ClassificationList['items'][number];
export type Classification = ClassificationItem['classification'];
export type ThreatCategory = ClassificationItem['category'];
export type ClassificationUpdate = operations['putConsoleThreatClassificationsClassification']['responses'][200]['content']['application/json'];
export type RegradePreview = operations['postConsoleThreatClassificationsPreview']['responses'][200]['content']['application/json'];
export type ResetResponse = operations['postConsoleThreatClassificationsReset']['responses'][200]['content']['application/json'];
export type Regrade = operations['getConsoleThreatClassificationsRegradesId']['responses'][200]['content']['application/json'];
/** What the console shows of a re-grade: its progress (a status it does not know reads as still running). */
export type RegradeProgress = Pick<Regrade, 'id' | 'devicesChanged' | 'devicesTotal'> & { status: string };

export const classificationKeys = {
  all: ['classifications'] as const,
  /** Previews and re-grades live apart from the list, so saving does not ask for the same preview again. */
  preview: (changes: Record<string, RiskLevel>) => ['classification-preview', changes] as const,
  regrade: (id: string) => ['regrade', id] as const,
};

export function classificationsQueryOptions(api: ApiClient) {
  return queryOptions({
    queryKey: classificationKeys.all,
    queryFn: () => answer(api.GET('/api/v1/console/threat-classifications')),
  });
}

export function useClassifications() {
  const { api } = useSession();
  return useQuery(classificationsQueryOptions(api));
}

/** How many devices, and which, would change level under `changes`; asked only when `enabled`. */
export function useRegradePreview(changes: Record<string, RiskLevel>, enabled: boolean) {
  const { api } = useSession();
  return useQuery({
    queryKey: classificationKeys.preview(changes),
    queryFn: () => answer(api.POST('/api/v1/console/threat-classifications/preview', { body: { changes } })),
    enabled,
  });
}

/** A queued re-grade, asked again every second until it completes. */
export function useRegrade(started: RegradeProgress) {
  const { api } = useSession();
  return useQuery<RegradeProgress>({
    queryKey: classificationKeys.regrade(started.id),
    queryFn: () => answer(api.GET('/api/v1/console/threat-classifications/regrades/{id}', { params: { path: { id: started.id } } })),
    initialData: started,
    refetchInterval: (query) => (query.state.data?.status === 'completed' ? false : 1000),
  });
}

/** A policy change moves devices' risk levels: the list, the devices and the overview are read again. */
function usePolicyChanged(): () => void {
  const client = useQueryClient();
  return () => {
    void client.invalidateQueries({ queryKey: classificationKeys.all });
    void client.invalidateQueries({ queryKey: deviceKeys.all });
  };
}

export function useSetClassificationLevel(classification: Classification) {
  const { api } = useSession();
  const changed = usePolicyChanged();
  return useMutation({
    mutationFn: (riskLevel: RiskLevel) =>
      answer(api.PUT('/api/v1/console/threat-classifications/{classification}', { params: { path: { classification } }, body: { riskLevel } })),
    onSuccess: changed,
  });
}

export function useResetClassifications() {
  const { api } = useSession();
  const changed = usePolicyChanged();
  return useMutation({
    mutationFn: () => answer(api.POST('/api/v1/console/threat-classifications/reset')),
    onSuccess: changed,
  });
}
