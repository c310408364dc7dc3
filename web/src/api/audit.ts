/** The audit log (GET /api/v1/console/audit-log): newest first, a page per cursor. Full access only. */
import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { useSession } from '../context.js';
import { answer, type ApiClient } from './client.js';
import type { operations } from './schema.js';

export type AuditPage = operations['getConsoleAuditLog']['responses'][200]['content']['application/json'];
export type AuditEntry = AuditPage['items'][number];

/** Entries per page. */
const pageSize = 50;

export const auditKeys = {
  all: ['audit-log'] as const,
  page: (cursor: string | null) => ['audit-log', cursor] as const,
};

export function auditPageQueryOptions(api: ApiClient, cursor: string | null) {
  return queryOptions({
    queryKey: auditKeys.page(cursor),
    queryFn: () => answer(api.GET('/api/v1/console/audit-log', { params: { query: { limit: pageSize, ...(cursor ? { cursor } : {}) } } })),
    placeholderData: keepPreviousData,
  });
}

export function useAuditPage(cursor: string | null) {
  const { api } = useSession();
  return useQuery(auditPageQueryOptions(api, cursor));
}
