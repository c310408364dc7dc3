/**
 * Webhooks (/api/v1/console/webhooks): the tenant's endpoints, their delivery log, and the actions on them (create,
 * edit, delete, send a test, rotate the secret, redeliver).
 */
import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSession } from '../context.js';
import { answer, retryUnlessNotAvailable, type ApiClient } from './client.js';
import type { operations } from './schema.js';

export type WebhookList = operations['getConsoleWebhooks']['responses'][200]['content']['application/json'];
export type Webhook = WebhookList['items'][number];
export type NewWebhook = operations['postConsoleWebhooks']['requestBody']['content']['application/json'];
export type CreatedWebhook = operations['postConsoleWebhooks']['responses'][201]['content']['application/json'];
export type RotatedSecret = operations['postConsoleWebhooksIdRotateSecret']['responses'][200]['content']['application/json'];
export type TestDelivery = operations['postConsoleWebhooksIdTest']['responses'][202]['content']['application/json'];
export type DeliveryPage = operations['getConsoleWebhooksIdDeliveries']['responses'][200]['content']['application/json'];
export type Delivery = DeliveryPage['items'][number];

export const webhookKeys = {
  all: ['webhooks'] as const,
  deliveries: (webhookId: string) => ['webhooks', webhookId, 'deliveries'] as const,
};

export function webhooksQueryOptions(api: ApiClient) {
  return queryOptions({
    queryKey: webhookKeys.all,
    queryFn: () => answer(api.GET('/api/v1/console/webhooks')),
    retry: retryUnlessNotAvailable,
  });
}

export function useWebhooks() {
  const { api } = useSession();
  return useQuery(webhooksQueryOptions(api));
}

export function deliveriesQueryOptions(api: ApiClient, webhookId: string) {
  return queryOptions({
    queryKey: webhookKeys.deliveries(webhookId),
    queryFn: () => answer(api.GET('/api/v1/console/webhooks/{id}/deliveries', { params: { path: { id: webhookId } } })),
  });
}

export function useWebhookDeliveries(webhookId: string) {
  const { api } = useSession();
  return useQuery(deliveriesQueryOptions(api, webhookId));
}

function useWebhooksChanged(): () => void {
  const client = useQueryClient();
  return () => void client.invalidateQueries({ queryKey: webhookKeys.all });
}

/** Creates an endpoint (the answer carries its secret, shown once), or changes `existing`. */
export function useSaveWebhook(existing: Webhook | null) {
  const { api } = useSession();
  const changed = useWebhooksChanged();
  return useMutation<Webhook | CreatedWebhook, Error, NewWebhook>({
    mutationFn: (body) =>
      existing
        ? answer(api.PATCH('/api/v1/console/webhooks/{id}', { params: { path: { id: existing.id } }, body: { ...body, description: body.description ?? null } }))
        : answer(api.POST('/api/v1/console/webhooks', { body })),
    onSuccess: changed,
  });
}

export function useDeleteWebhook() {
  const { api } = useSession();
  const changed = useWebhooksChanged();
  return useMutation({
    mutationFn: (id: string) => answer(api.DELETE('/api/v1/console/webhooks/{id}', { params: { path: { id } } })),
    onSuccess: changed,
  });
}

export function useTestWebhook() {
  const { api } = useSession();
  const changed = useWebhooksChanged();
  return useMutation({
    mutationFn: (id: string) => answer(api.POST('/api/v1/console/webhooks/{id}/test', { params: { path: { id } } })),
    onSuccess: changed,
  });
}

export function useRotateWebhookSecret() {
  const { api } = useSession();
  return useMutation({
    mutationFn: (id: string) => answer(api.POST('/api/v1/console/webhooks/{id}/rotate-secret', { params: { path: { id } } })),
  });
}

export function useRedeliver(webhookId: string) {
  const { api } = useSession();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (deliveryId: string) =>
      answer(api.POST('/api/v1/console/webhooks/{id}/deliveries/{deliveryId}/redeliver', { params: { path: { id: webhookId, deliveryId } } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: webhookKeys.deliveries(webhookId) }),
  });
}
