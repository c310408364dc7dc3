/** Data fetching through TanStack Query: one key per API resource, so writes refresh what they change. */
import { useQuery } from '@tanstack/react-query';
import { useSession } from '../context.js';
import type { ClassificationList } from './types.js';

export const keys = {
  devices: ['devices'] as const,
  device: (id: string) => ['devices', id] as const,
  classifications: ['classifications'] as const,
  groups: ['enrollment-groups'] as const,
  connector: ['connector'] as const,
  notifications: ['notifications'] as const,
  audit: ['audit-log'] as const,
  health: ['health'] as const,
  webhooks: ['webhooks'] as const,
  events: ['events'] as const,
  overview: ['overview'] as const,
};

export function useClassifications() {
  const { api } = useSession();
  return useQuery({ queryKey: keys.classifications, queryFn: () => api.get<ClassificationList>('v1/console/threat-classifications') });
}
