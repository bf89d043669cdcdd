import { z } from 'zod';
import { dealListSchema, listDealsQuerySchema } from '../../../contracts/deals.ts';
import { type AnyRouteDefinition, defineRoute } from '../../platform/http/define-route.ts';
import { listDeals } from './list-deals.ts';

export function dealRoutes(): AnyRouteDefinition[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/orgs/:orgId/deals',
      summary: "List the organisation's deals",
      tags: ['deals'],
      permission: 'deals:read',
      audit: { optOut: 'read of business data; reads are not audited' },
      schema: {
        params: z.object({ orgId: z.uuid() }),
        query: listDealsQuerySchema,
        responses: { 200: dealListSchema },
      },
      handler: ({ orgId, query, tenant }) =>
        tenant((transaction) =>
          listDeals(transaction, { orgId: orgId as string, limit: query.limit, cursor: query.cursor }),
        ),
    }),
  ];
}
