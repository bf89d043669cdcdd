import { Readable } from 'node:stream';
import { z } from 'zod';
import {
  auditEventListSchema,
  exportAuditEventsQuerySchema,
  listAuditEventsQuerySchema,
} from '../../../contracts/audit.ts';
import type { Transaction } from '../../platform/db/database.ts';
import { transactionQuery } from '../../platform/db/query-rows.ts';
import { type AnyRouteDefinition, defineRoute } from '../../platform/http/define-route.ts';
import { exportAuditEvents, listAuditEvents } from './list-audit-events.ts';

const EXPORT_PAGE = 500;
const exportResponse = {
  200: { contentType: 'application/x-ndjson | text/csv', description: 'The filtered chain, newest first, streamed' },
};

function exportStream(options: {
  format: 'jsonl' | 'csv';
  orgId: string | null;
  filter: z.output<typeof exportAuditEventsQuerySchema>;
  run: <T>(work: (transaction: Transaction) => Promise<T>) => Promise<T>;
}): Readable {
  const { format: _format, ...filter } = options.filter;
  return Readable.from(
    exportAuditEvents({
      format: options.format,
      readPage: (beforeSeq) =>
        options.run((transaction) =>
          listAuditEvents(transactionQuery(transaction), {
            orgId: options.orgId,
            filter,
            limit: EXPORT_PAGE,
            beforeSeq,
          }),
        ),
    }),
  );
}

function exportHeaders(format: 'jsonl' | 'csv', name: string) {
  return {
    'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
    'content-disposition': `attachment; filename="${name}.${format === 'csv' ? 'csv' : 'jsonl'}"`,
  };
}

export function auditRoutes(): AnyRouteDefinition[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/orgs/:orgId/audit-events',
      summary: "List the organisation's audit events",
      description:
        'Newest first. Filter by actor, action (exact or `prefix*`), target and time; paginate with `cursor`.',
      tags: ['audit'],
      permission: 'audit:read',
      audit: { optOut: 'reading the audit log; exports are audited' },
      schema: {
        params: z.object({ orgId: z.uuid() }),
        query: listAuditEventsQuerySchema,
        responses: { 200: auditEventListSchema },
      },
      handler: ({ orgId, query, tenant }) => {
        const { limit, cursor, ...filter } = query;
        return tenant((transaction) =>
          listAuditEvents(transactionQuery(transaction), { orgId, filter, limit, beforeSeq: cursor }),
        );
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/orgs/:orgId/audit-events/export',
      summary: "Export the organisation's audit events as JSON Lines or CSV",
      description:
        'Streamed in constant memory. CSV cells that a spreadsheet would evaluate as formulas are neutralised.',
      tags: ['audit'],
      permission: 'audit:read',
      audit: { action: 'audit.exported', sensitive: true },
      schema: { params: z.object({ orgId: z.uuid() }), query: exportAuditEventsQuerySchema, responses: exportResponse },
      handler: async ({ orgId, query, tenant, reply, audit }) => {
        audit.metadata({ format: query.format });
        reply.headers(exportHeaders(query.format, `vigil-audit-${orgId}`));
        return exportStream({ format: query.format, orgId, filter: query, run: tenant });
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/admin/audit-events',
      summary: 'List the platform audit chain',
      tags: ['audit', 'admin'],
      permission: 'platform:audit',
      audit: { optOut: 'reading the audit log; exports are audited' },
      schema: { query: listAuditEventsQuerySchema, responses: { 200: auditEventListSchema } },
      handler: ({ query, platform }) => {
        const { limit, cursor, ...filter } = query;
        return platform((transaction) =>
          listAuditEvents(transactionQuery(transaction), { orgId: null, filter, limit, beforeSeq: cursor }),
        );
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/admin/audit-events/export',
      summary: 'Export the platform audit chain as JSON Lines or CSV',
      tags: ['audit', 'admin'],
      permission: 'platform:audit',
      audit: { action: 'audit.exported', sensitive: true },
      schema: { query: exportAuditEventsQuerySchema, responses: exportResponse },
      handler: async ({ query, platform, reply, audit }) => {
        audit.metadata({ format: query.format });
        reply.headers(exportHeaders(query.format, 'vigil-platform-audit'));
        return exportStream({ format: query.format, orgId: null, filter: query, run: platform });
      },
    }),
  ];
}
