import { and, asc, eq } from 'drizzle-orm';
import type { WebhookEndpointView } from '../../../contracts/webhooks.ts';
import { transactionQuery } from '../../platform/db/query-rows.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import { openCustomHeaders } from './endpoint-headers.ts';
import { readEndpointHealth, toEndpointView } from './webhook-endpoint-view.ts';
import type { WebhookServiceContext } from './webhook-service-context.ts';
import { type WebhookEndpointRow, webhookEndpoints } from './webhook-tables.ts';

type ReadContext = Pick<WebhookServiceContext, 'orgId' | 'transaction' | 'keyring' | 'clock'>;

async function toViews(context: ReadContext, rows: WebhookEndpointRow[]): Promise<WebhookEndpointView[]> {
  const now = context.clock.now();
  const health = await readEndpointHealth(transactionQuery(context.transaction), {
    orgId: context.orgId,
    endpointIds: rows.map((row) => row.id),
    now,
  });
  return Promise.all(
    rows.map(async (row) => {
      const headers = await openCustomHeaders(
        context.keyring,
        { orgId: row.orgId, endpointId: row.id },
        row.customHeadersSealed,
      );
      return toEndpointView(row, { headerNames: Object.keys(headers), health: health.get(row.id), now });
    }),
  );
}

/** The organisation's endpoints with their health, oldest first. */
export async function listWebhookEndpoints(context: ReadContext): Promise<WebhookEndpointView[]> {
  const rows = await context.transaction
    .select()
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.orgId, context.orgId))
    .orderBy(asc(webhookEndpoints.createdAt), asc(webhookEndpoints.id));
  return toViews(context, rows);
}

/** One endpoint's row, locked for update when asked; not-found for another organisation's id. */
export async function findWebhookEndpoint(
  context: Pick<WebhookServiceContext, 'orgId' | 'transaction'>,
  endpointId: string,
  options: { forUpdate?: boolean } = {},
): Promise<WebhookEndpointRow> {
  const query = context.transaction
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.orgId, context.orgId), eq(webhookEndpoints.id, endpointId)));
  const [row] = options.forUpdate ? await query.for('update') : await query;
  if (!row) throw new AppError('not-found', 'No such webhook endpoint.');
  return row;
}

export async function readWebhookEndpoint(context: ReadContext, endpointId: string): Promise<WebhookEndpointView> {
  const row = await findWebhookEndpoint(context, endpointId);
  const [view] = await toViews(context, [row]);
  if (!view) throw new AppError('not-found', 'No such webhook endpoint.');
  return view;
}
