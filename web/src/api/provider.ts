/**
 * The provider's own routes (`/api/v1/provider/...`), for provider support signed in from the provider's tenant with
 * the app role `Provider.Support`: the tenant list with health, one tenant with its health and consent link,
 * provisioning, offboarding and its progress, and monthly usage (JSON, or CSV as a download).
 */
import { keepPreviousData, queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSession } from '../context.js';
import { ApiError, answer, toApiError, type ApiClient } from './client.js';
import { fileNameOf, save } from './exports.js';
import type { operations } from './schema.js';

export type ProviderTenantList = operations['getProviderTenants']['responses'][200]['content']['application/json'];
export type ProviderTenantQuery = NonNullable<operations['getProviderTenants']['parameters']['query']>;
export type ProviderTenantRow = ProviderTenantList['items'][number];
export type ProviderTenant = operations['getProviderTenantsTenantId']['responses'][200]['content']['application/json'];
export type Provisioning = operations['postProviderTenants']['requestBody']['content']['application/json'];
export type Provisioned = operations['postProviderTenants']['responses'][201]['content']['application/json'];
export type Offboarding = operations['deleteProviderTenantsTenantId']['responses'][202]['content']['application/json'];
export type Usage = operations['getProviderUsage']['responses'][200]['content']['application/json'];
type UsageAnswer = Usage | operations['getProviderUsage']['responses'][200]['content']['text/csv'];
export type TenantStatus = ProviderTenantRow['status'];
export type TenantHealth = ProviderTenantRow['health'];

export const tenantStatuses = ['provisioned', 'active', 'offboarding'] as const satisfies readonly TenantStatus[];
export const tenantHealths = ['healthy', 'degraded', 'unhealthy', 'unknown'] as const satisfies readonly TenantHealth[];

export const providerKeys = {
  all: ['provider'] as const,
  access: ['provider', 'access'] as const,
  list: (filters: { status: string; health: string }, cursor: string | null) => ['provider', 'tenants', filters, cursor] as const,
  tenant: (tenantId: string) => ['provider', 'tenant', tenantId] as const,
  usage: (month: string) => ['provider', 'usage', month] as const,
};

/**
 * Whether the signed-in user is provider support: the server's own answer to a one-row read of the tenant list
 * (asked only for users of the provider's tenant). 401 or 403: not provider support; anything else is an error.
 */
export function useProviderAccess(api: ApiClient, enabled: boolean) {
  return useQuery({
    queryKey: providerKeys.access,
    queryFn: async () => {
      try {
        await answer(api.GET('/api/v1/provider/tenants', { params: { query: { limit: 1 } } }));
        return true;
      } catch (error) {
        if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return false;
        throw error;
      }
    },
    enabled,
    retry: (failures, error) => !(error instanceof ApiError && error.status < 500) && failures < 2,
    staleTime: 5 * 60_000,
  });
}

function oneOf<T extends string>(value: string, options: readonly T[]): T | undefined {
  return options.find((option) => option === value);
}

/** The list's query: the filters that are set, the cursor when there is one, and the page size. */
export function providerTenantParams(filters: { status: string; health: string }, cursor: string | null, limit = 50): ProviderTenantQuery {
  const status = oneOf(filters.status, tenantStatuses);
  const health = oneOf(filters.health, tenantHealths);
  return { ...(status ? { status } : {}), ...(health ? { health } : {}), ...(cursor ? { cursor } : {}), limit };
}

export function useProviderTenants(filters: { status: string; health: string }, cursor: string | null) {
  const { api } = useSession();
  return useQuery({
    queryKey: providerKeys.list(filters, cursor),
    queryFn: () => answer(api.GET('/api/v1/provider/tenants', { params: { query: providerTenantParams(filters, cursor) } })),
    placeholderData: keepPreviousData,
  });
}

export function providerTenantQueryOptions(api: ApiClient, tenantId: string) {
  return queryOptions({
    queryKey: providerKeys.tenant(tenantId),
    queryFn: () => answer(api.GET('/api/v1/provider/tenants/{tenantId}', { params: { path: { tenantId } } })),
    // A 404 is an answer (no such tenant, or its offboarding finished), not a fault to retry.
    retry: (failures, error) => !(error instanceof ApiError && error.status < 500) && failures < 2,
    // While it is being offboarded, follow the progress.
    refetchInterval: (query) => (query.state.data?.status === 'offboarding' ? 2000 : false),
  });
}

export function useProviderTenant(tenantId: string) {
  const { api } = useSession();
  return useQuery(providerTenantQueryOptions(api, tenantId));
}

export function useProvision() {
  const { api } = useSession();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Provisioning) => answer(api.POST('/api/v1/provider/tenants', { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['provider', 'tenants'] }),
  });
}

export function useOffboard(tenantId: string) {
  const { api } = useSession();
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => answer(api.DELETE('/api/v1/provider/tenants/{tenantId}', { params: { path: { tenantId } } })),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: providerKeys.tenant(tenantId) });
      await client.invalidateQueries({ queryKey: ['provider', 'tenants'] });
    },
  });
}

export function useUsage(month: string) {
  const { api } = useSession();
  return useQuery({
    queryKey: providerKeys.usage(month),
    queryFn: async (): Promise<Usage> => {
      const usage: UsageAnswer = await answer(api.GET('/api/v1/provider/usage', { params: { query: { month, format: 'json' } } }));
      // The route answers CSV only when asked for it.
      if (typeof usage === 'string') throw new Error('The service answered CSV where JSON was asked for.');
      return usage;
    },
    enabled: /^\d{4}-\d{2}$/.test(month),
  });
}

/** Downloads a month's usage as CSV, under the file name the service gave it. */
export async function downloadUsageCsv(api: ApiClient, month: string): Promise<void> {
  const result = await api.GET('/api/v1/provider/usage', { params: { query: { month, format: 'csv' } }, parseAs: 'blob' });
  if (result.error !== undefined || !result.response.ok) throw toApiError(result.response.status, result.error);
  save(result.data ?? new Blob(), fileNameOf(result.response.headers.get('content-disposition'), `usage-${month}.csv`));
}

/** The current month, `YYYY-MM` (UTC), for the usage page's first view. */
export function currentMonth(now = new Date()): string {
  return now.toISOString().slice(0, 7);
}
