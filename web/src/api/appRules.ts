/**
 * App rules (/api/v1/console/app-rules): a package's own risk level, instead of its threats' classification. A change
 * answers with the queued re-grade of the devices with an open threat of that package, followed like a classification
 * change's (./classifications.ts).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSession } from '../context.js';
import { answer } from './client.js';
import { deviceKeys, type RiskLevel } from './devices.js';
import type { operations } from './schema.js';

export type AppRuleList = operations['getConsoleAppRules']['responses'][200]['content']['application/json'];
export type AppRule = AppRuleList['items'][number];
export type AppRuleChange = operations['putConsoleAppRulesPackageName']['responses'][200]['content']['application/json'];
export type AppRulePreview = operations['postConsoleAppRulesPreview']['responses'][200]['content']['application/json'];

export const appRuleKeys = {
  all: ['app-rules'] as const,
  preview: (packageName: string, riskLevel: RiskLevel | null) => ['app-rule-preview', packageName, riskLevel] as const,
};

/** What the API takes as a package name (Android application id, iOS bundle id). */
export const packageNamePattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;

export function useAppRules() {
  const { api } = useSession();
  return useQuery({ queryKey: appRuleKeys.all, queryFn: () => answer(api.GET('/api/v1/console/app-rules')) });
}

/** How many devices would change level with the package's rule set to `riskLevel` (or removed: null). */
export function useAppRulePreview(packageName: string, riskLevel: RiskLevel | null, enabled: boolean) {
  const { api } = useSession();
  return useQuery({
    queryKey: appRuleKeys.preview(packageName, riskLevel),
    queryFn: () => answer(api.POST('/api/v1/console/app-rules/preview', { body: { packageName, riskLevel } })),
    enabled: enabled && packageNamePattern.test(packageName),
  });
}

function useRulesChanged(): () => void {
  const client = useQueryClient();
  return () => {
    void client.invalidateQueries({ queryKey: appRuleKeys.all });
    void client.invalidateQueries({ queryKey: deviceKeys.all });
  };
}

export function useSetAppRule() {
  const { api } = useSession();
  const changed = useRulesChanged();
  return useMutation({
    mutationFn: ({ packageName, riskLevel, reason }: { packageName: string; riskLevel: RiskLevel; reason: string }) =>
      answer(api.PUT('/api/v1/console/app-rules/{packageName}', { params: { path: { packageName } }, body: { riskLevel, reason } })),
    onSuccess: changed,
  });
}

export function useDeleteAppRule() {
  const { api } = useSession();
  const changed = useRulesChanged();
  return useMutation({
    mutationFn: (packageName: string) => answer(api.DELETE('/api/v1/console/app-rules/{packageName}', { params: { path: { packageName } } })),
    onSuccess: changed,
  });
}
