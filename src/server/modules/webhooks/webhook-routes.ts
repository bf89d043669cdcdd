import { z } from 'zod';
import {
  createdWebhookEndpointSchema,
  createWebhookEndpointSchema,
  listWebhookDeliveriesQuerySchema,
  queuedWebhookMessageSchema,
  recoveredWebhookDeliveriesSchema,
  recoverWebhookDeliveriesSchema,
  rotatedWebhookSecretSchema,
  updateWebhookEndpointSchema,
  webhookDeliveryDetailSchema,
  webhookDeliveryListSchema,
  webhookEndpointListSchema,
  webhookEndpointSchema,
  webhookEventCatalogue,
  webhookEventTypeListSchema,
  type WebhookEventTypeView,
} from '../../../contracts/webhooks.ts';
import type { Config } from '../../config.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Keyring } from '../../platform/crypto/keyring.ts';
import type { Transaction } from '../../platform/db/database.ts';
import { type AnyRouteDefinition, defineRoute } from '../../platform/http/define-route.ts';
import { createWebhookEndpoint } from './create-webhook-endpoint.ts';
import { deleteWebhookEndpoint } from './delete-webhook-endpoint.ts';
import { enqueueWebhookEvent } from './enqueue-webhook-event.ts';
import { listWebhookDeliveries, readWebhookDelivery } from './read-webhook-deliveries.ts';
import { findWebhookEndpoint, listWebhookEndpoints, readWebhookEndpoint } from './read-webhook-endpoints.ts';
import { recoverWebhookDeliveries, resendWebhookMessage } from './resend-webhook-message.ts';
import { rotateWebhookSecret } from './rotate-webhook-secret.ts';
import { updateWebhookEndpoint } from './update-webhook-endpoint.ts';
import type { WebhookServiceContext } from './webhook-service-context.ts';
import type { WebhookUrlPolicy } from './webhook-url-policy.ts';
import { AppError } from '../../platform/errors/app-error.ts';

const orgParams = z.object({ orgId: z.uuid() });
const endpointParams = orgParams.extend({ endpointId: z.uuid() });
const messageParams = endpointParams.extend({ messageId: z.uuid() });
const BASE = '/api/orgs/:orgId/webhooks/endpoints';

/** The catalogue as served: JSON Schema of each `data` and a complete example body. */
export function describeEventTypes(): WebhookEventTypeView[] {
  return Object.entries(webhookEventCatalogue).map(([type, definition]) => ({
    type,
    version: definition.version,
    description: definition.description,
    schema: z.toJSONSchema(definition.data, { unrepresentable: 'any' }) as Record<string, unknown>,
    example: {
      type,
      version: definition.version,
      timestamp: '2026-11-22T09:30:00.000Z',
      data: definition.example,
    },
  }));
}

export function webhookRoutes(dependencies: {
  keyring: Keyring;
  clock: Clock;
  policy: WebhookUrlPolicy;
  settings: Config['webhooks'];
}): AnyRouteDefinition[] {
  const context = (orgId: string, transaction: Transaction): WebhookServiceContext => ({
    orgId,
    transaction,
    keyring: dependencies.keyring,
    clock: dependencies.clock,
    policy: dependencies.policy,
    settings: dependencies.settings,
  });
  const eventTypes = { items: describeEventTypes() };

  return [
    defineRoute({
      method: 'GET',
      url: '/api/webhooks/event-types',
      summary: 'The webhook event catalogue',
      description:
        'Every event type with its version, JSON Schema of `data` and an example body. Public: it is documentation.',
      tags: ['webhooks'],
      permission: 'public',
      audit: { optOut: 'public documentation' },
      schema: { responses: { 200: webhookEventTypeListSchema } },
      handler: async () => eventTypes,
    }),
    defineRoute({
      method: 'GET',
      url: BASE,
      summary: "List the organisation's webhook endpoints with their health",
      tags: ['webhooks'],
      permission: 'webhooks:manage',
      audit: { optOut: 'read-only' },
      schema: { params: orgParams, responses: { 200: webhookEndpointListSchema } },
      handler: ({ orgId, tenant }) =>
        tenant(async (transaction) => ({ items: await listWebhookEndpoints(context(orgId as string, transaction)) })),
    }),
    defineRoute({
      method: 'POST',
      url: BASE,
      summary: 'Create a webhook endpoint',
      description: 'Returns the signing secret once; only a hint of it is ever shown again.',
      tags: ['webhooks'],
      permission: 'webhooks:manage',
      audit: { action: 'webhook.endpoint_created' },
      schema: {
        params: orgParams,
        body: createWebhookEndpointSchema,
        responses: { 201: createdWebhookEndpointSchema },
      },
      handler: async ({ orgId, body, tenant, audit, reply }) => {
        // The audit event is written when the transaction commits: name the target inside it.
        const created = await tenant(async (transaction) => {
          const result = await createWebhookEndpoint(context(orgId as string, transaction), body);
          audit.target('webhook_endpoint', result.endpoint.id);
          audit.metadata({ url: result.endpoint.url, eventTypes: result.endpoint.eventTypes });
          return result;
        });
        reply.code(201);
        return created;
      },
    }),
    defineRoute({
      method: 'GET',
      url: `${BASE}/:endpointId`,
      summary: 'Read a webhook endpoint',
      tags: ['webhooks'],
      permission: 'webhooks:manage',
      audit: { optOut: 'read-only' },
      schema: { params: endpointParams, responses: { 200: webhookEndpointSchema } },
      handler: ({ orgId, params, tenant }) =>
        tenant((transaction) => readWebhookEndpoint(context(orgId as string, transaction), params.endpointId)),
    }),
    defineRoute({
      method: 'PATCH',
      url: `${BASE}/:endpointId`,
      summary: 'Edit, pause, resume or re-enable a webhook endpoint',
      tags: ['webhooks'],
      permission: 'webhooks:manage',
      audit: { action: 'webhook.endpoint_updated' },
      schema: { params: endpointParams, body: updateWebhookEndpointSchema, responses: { 200: webhookEndpointSchema } },
      handler: async ({ orgId, params, body, tenant, audit }) => {
        audit.target('webhook_endpoint', params.endpointId);
        const updated = await tenant(async (transaction) => {
          const result = await updateWebhookEndpoint(context(orgId as string, transaction), params.endpointId, body);
          audit.metadata({ changed: result.changed, ...(body.status ? { status: body.status } : {}) });
          return result;
        });
        return updated.endpoint;
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: `${BASE}/:endpointId`,
      summary: 'Delete a webhook endpoint and its delivery log',
      tags: ['webhooks'],
      permission: 'webhooks:manage',
      audit: { action: 'webhook.endpoint_deleted' },
      schema: { params: endpointParams, responses: { 200: z.object({ deleted: z.literal(true) }) } },
      handler: async ({ orgId, params, tenant, audit }) => {
        audit.target('webhook_endpoint', params.endpointId);
        await tenant((transaction) => deleteWebhookEndpoint(context(orgId as string, transaction), params.endpointId));
        return { deleted: true as const };
      },
    }),
    defineRoute({
      method: 'POST',
      url: `${BASE}/:endpointId/secret/rotate`,
      summary: "Rotate an endpoint's signing secret",
      description:
        'Returns the new secret once. Until `previousSecretValidUntil`, deliveries carry signatures with both secrets.',
      tags: ['webhooks'],
      permission: 'webhooks:manage',
      audit: { action: 'webhook.secret_rotated', sensitive: true },
      schema: { params: endpointParams, responses: { 200: rotatedWebhookSecretSchema } },
      handler: async ({ orgId, params, tenant, audit }) => {
        audit.target('webhook_endpoint', params.endpointId);
        return tenant(async (transaction) => {
          const rotated = await rotateWebhookSecret(context(orgId as string, transaction), params.endpointId);
          audit.metadata({ previousSecretValidUntil: rotated.previousSecretValidUntil });
          return rotated;
        });
      },
    }),
    defineRoute({
      method: 'POST',
      url: `${BASE}/:endpointId/test`,
      summary: 'Send a `webhook.test` event to this endpoint',
      tags: ['webhooks'],
      permission: 'webhooks:manage',
      audit: { action: 'webhook.test_sent' },
      schema: { params: endpointParams, responses: { 202: queuedWebhookMessageSchema } },
      handler: async ({ orgId, params, tenant, audit, reply }) => {
        audit.target('webhook_endpoint', params.endpointId);
        const queued = await tenant(async (transaction) => {
          const endpoint = await findWebhookEndpoint(context(orgId as string, transaction), params.endpointId);
          if (endpoint.status !== 'active')
            throw new AppError('conflict', `The endpoint is ${endpoint.status}; enable it to send a test event.`);
          const result = await enqueueWebhookEvent(
            { transaction, clock: dependencies.clock },
            {
              orgId: orgId as string,
              type: 'webhook.test',
              data: { message: 'Hello from Vigil', endpointId: params.endpointId },
              onlyEndpointId: params.endpointId,
            },
          );
          audit.metadata({ messageId: result.messageId });
          return result;
        });
        const deliveryId = queued.deliveryIds[0];
        if (!deliveryId) throw new AppError('conflict', 'The endpoint is not active.');
        reply.code(202);
        return { messageId: queued.messageId, deliveryId };
      },
    }),
    defineRoute({
      method: 'GET',
      url: `${BASE}/:endpointId/messages`,
      summary: "An endpoint's delivery log",
      description: 'Newest first; filter by state, event type and creation time; paginate with `cursor`.',
      tags: ['webhooks'],
      permission: 'webhooks:manage',
      audit: { optOut: 'read-only' },
      schema: {
        params: endpointParams,
        query: listWebhookDeliveriesQuerySchema,
        responses: { 200: webhookDeliveryListSchema },
      },
      handler: ({ orgId, params, query, tenant }) =>
        tenant((transaction) => listWebhookDeliveries(context(orgId as string, transaction), params.endpointId, query)),
    }),
    defineRoute({
      method: 'GET',
      url: `${BASE}/:endpointId/messages/:messageId`,
      summary: 'One message as delivered to the endpoint: the payload and every attempt',
      tags: ['webhooks'],
      permission: 'webhooks:manage',
      audit: { optOut: 'read-only' },
      schema: { params: messageParams, responses: { 200: webhookDeliveryDetailSchema } },
      handler: ({ orgId, params, tenant }) =>
        tenant((transaction) =>
          readWebhookDelivery(context(orgId as string, transaction), params.endpointId, params.messageId),
        ),
    }),
    defineRoute({
      method: 'POST',
      url: `${BASE}/:endpointId/messages/:messageId/resend`,
      summary: 'Send a message to the endpoint again now (same `webhook-id`)',
      tags: ['webhooks'],
      permission: 'webhooks:manage',
      audit: { action: 'webhook.message_resent' },
      schema: { params: messageParams, responses: { 202: queuedWebhookMessageSchema } },
      handler: async ({ orgId, params, tenant, audit, reply }) => {
        audit.target('webhook_endpoint', params.endpointId);
        audit.metadata({ messageId: params.messageId });
        const queued = await tenant((transaction) =>
          resendWebhookMessage(context(orgId as string, transaction), params.endpointId, params.messageId),
        );
        reply.code(202);
        return queued;
      },
    }),
    defineRoute({
      method: 'POST',
      url: `${BASE}/:endpointId/recover`,
      summary: 'Resend every failed message since a time',
      tags: ['webhooks'],
      permission: 'webhooks:manage',
      audit: { action: 'webhook.messages_recovered' },
      schema: {
        params: endpointParams,
        body: recoverWebhookDeliveriesSchema,
        responses: { 202: recoveredWebhookDeliveriesSchema },
      },
      handler: async ({ orgId, params, body, tenant, audit, reply }) => {
        audit.target('webhook_endpoint', params.endpointId);
        const recovered = await tenant(async (transaction) => {
          const result = await recoverWebhookDeliveries(
            context(orgId as string, transaction),
            params.endpointId,
            new Date(body.since),
          );
          audit.metadata({ since: body.since, requeued: result.requeued });
          return result;
        });
        reply.code(202);
        return recovered;
      },
    }),
  ];
}
