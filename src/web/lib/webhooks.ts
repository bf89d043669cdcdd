import { infiniteQueryOptions, queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import {
  type CreateWebhookEndpoint,
  createdWebhookEndpointSchema,
  queuedWebhookMessageSchema,
  recoveredWebhookDeliveriesSchema,
  rotatedWebhookSecretSchema,
  type UpdateWebhookEndpoint,
  webhookDeliveryDetailSchema,
  webhookDeliveryListSchema,
  webhookEndpointListSchema,
  webhookEndpointSchema,
  webhookEventTypeListSchema,
} from '../../contracts/webhooks.ts';
import { inOrganisation } from './organisation-scope.ts';
import { getJson } from './api.ts';
import { ACCOUNT_KEY } from './queries.ts';
import { apiCall } from './session.ts';

const base = (orgId: string) => `/api/orgs/${encodeURIComponent(orgId)}/webhooks/endpoints`;
const endpointPath = (orgId: string, endpointId: string) => `${base(orgId)}/${encodeURIComponent(endpointId)}`;

export const webhookKeys = {
  all: (orgId: string) => [ACCOUNT_KEY, 'webhooks', orgId] as const,
  endpoint: (orgId: string, endpointId: string) => [ACCOUNT_KEY, 'webhooks', orgId, endpointId] as const,
};

export const eventTypesQuery = queryOptions({
  queryKey: ['webhook-event-types'],
  queryFn: ({ signal }) => getJson('/api/webhooks/event-types', webhookEventTypeListSchema.parse, signal),
  staleTime: Number.POSITIVE_INFINITY,
});

export function endpointsQuery(orgId: string) {
  return queryOptions({
    queryKey: webhookKeys.all(orgId),
    queryFn: ({ signal }) =>
      inOrganisation(orgId, () => apiCall(base(orgId), { parse: webhookEndpointListSchema.parse, signal })),
    refetchInterval: 10_000,
  });
}

export function endpointQuery(orgId: string, endpointId: string) {
  return queryOptions({
    queryKey: webhookKeys.endpoint(orgId, endpointId),
    queryFn: ({ signal }) =>
      inOrganisation(orgId, () =>
        apiCall(endpointPath(orgId, endpointId), { parse: webhookEndpointSchema.parse, signal }),
      ),
    refetchInterval: 5_000,
  });
}

/** Delivery log filters as they live in the URL. */
export type DeliveryFilters = { state: '' | 'pending' | 'succeeded' | 'failed'; eventType: string; range: string };

export const deliveryRanges = {
  all: { label: 'Last 30 days', ms: null },
  '1h': { label: 'Last hour', ms: 3_600_000 },
  '24h': { label: 'Last 24 hours', ms: 86_400_000 },
  '7d': { label: 'Last 7 days', ms: 7 * 86_400_000 },
} as const;

export function deliveriesQuery(orgId: string, endpointId: string, filters: DeliveryFilters) {
  return infiniteQueryOptions({
    queryKey: [...webhookKeys.endpoint(orgId, endpointId), 'messages', filters],
    queryFn: ({ pageParam, signal }) => {
      const params = new URLSearchParams({ limit: '25' });
      if (filters.state) params.set('state', filters.state);
      if (filters.eventType) params.set('eventType', filters.eventType);
      const span = deliveryRanges[filters.range as keyof typeof deliveryRanges]?.ms ?? null;
      if (span !== null) params.set('from', new Date(Date.now() - span).toISOString());
      if (pageParam) params.set('cursor', pageParam);
      return inOrganisation(orgId, () =>
        apiCall(`${endpointPath(orgId, endpointId)}/messages?${params.toString()}`, {
          parse: webhookDeliveryListSchema.parse,
          signal,
        }),
      );
    },
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.nextCursor,
    refetchInterval: 5_000,
  });
}

export function deliveryQuery(orgId: string, endpointId: string, messageId: string) {
  return queryOptions({
    queryKey: [...webhookKeys.endpoint(orgId, endpointId), 'message', messageId],
    queryFn: ({ signal }) =>
      inOrganisation(orgId, () =>
        apiCall(`${endpointPath(orgId, endpointId)}/messages/${encodeURIComponent(messageId)}`, {
          parse: webhookDeliveryDetailSchema.parse,
          signal,
        }),
      ),
    refetchInterval: 5_000,
  });
}

export const createEndpoint = (orgId: string, body: CreateWebhookEndpoint) =>
  inOrganisation(orgId, () =>
    apiCall(base(orgId), { method: 'POST', body, parse: createdWebhookEndpointSchema.parse }),
  );

export const updateEndpoint = (orgId: string, endpointId: string, body: UpdateWebhookEndpoint) =>
  inOrganisation(orgId, () =>
    apiCall(endpointPath(orgId, endpointId), { method: 'PATCH', body, parse: webhookEndpointSchema.parse }),
  );

export const deleteEndpoint = (orgId: string, endpointId: string) =>
  inOrganisation(orgId, () =>
    apiCall(endpointPath(orgId, endpointId), { method: 'DELETE', parse: z.object({ deleted: z.literal(true) }).parse }),
  );

export const rotateSecret = (orgId: string, endpointId: string) =>
  inOrganisation(orgId, () =>
    apiCall(`${endpointPath(orgId, endpointId)}/secret/rotate`, {
      method: 'POST',
      parse: rotatedWebhookSecretSchema.parse,
    }),
  );

export const sendTestEvent = (orgId: string, endpointId: string) =>
  inOrganisation(orgId, () =>
    apiCall(`${endpointPath(orgId, endpointId)}/test`, { method: 'POST', parse: queuedWebhookMessageSchema.parse }),
  );

export const resendMessage = (orgId: string, endpointId: string, messageId: string) =>
  inOrganisation(orgId, () =>
    apiCall(`${endpointPath(orgId, endpointId)}/messages/${encodeURIComponent(messageId)}/resend`, {
      method: 'POST',
      parse: queuedWebhookMessageSchema.parse,
    }),
  );

export const recoverMessages = (orgId: string, endpointId: string, since: string) =>
  inOrganisation(orgId, () =>
    apiCall(`${endpointPath(orgId, endpointId)}/recover`, {
      method: 'POST',
      body: { since },
      parse: recoveredWebhookDeliveriesSchema.parse,
    }),
  );
