import type { WebhookEndpointView } from '../../../contracts/webhooks.ts';
import type { SqlQuery } from '../../platform/db/query-rows.ts';
import type { WebhookEndpointRow } from './webhook-tables.ts';

type HealthRow = {
  endpoint_id: string;
  finished: string | number;
  succeeded: string | number;
  pending: string | number;
  last_success_at: Date | string | null;
  last_failure_at: Date | string | null;
  last_failure_status: number | null;
  last_failure_class: string | null;
};

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

/**
 * Health of the given endpoints over the last 7 days: success rate of finished deliveries, how
 * many are pending, and the latest successful and failed attempt.
 */
export async function readEndpointHealth(
  query: SqlQuery,
  options: { orgId: string; endpointIds: string[]; now: Date },
): Promise<Map<string, WebhookEndpointView['health']>> {
  if (options.endpointIds.length === 0) return new Map();
  const since = new Date(options.now.getTime() - 7 * 86_400_000).toISOString();
  const rows = await query<HealthRow>(
    `SELECT e.id AS endpoint_id,
            (SELECT count(*) FROM webhook_deliveries d WHERE d.org_id = e.org_id AND d.endpoint_id = e.id
               AND d.created_at >= $3::timestamptz AND d.state <> 'pending') AS finished,
            (SELECT count(*) FROM webhook_deliveries d WHERE d.org_id = e.org_id AND d.endpoint_id = e.id
               AND d.created_at >= $3::timestamptz AND d.state = 'succeeded') AS succeeded,
            (SELECT count(*) FROM webhook_deliveries d WHERE d.org_id = e.org_id AND d.endpoint_id = e.id
               AND d.state = 'pending') AS pending,
            (SELECT max(a.started_at) FROM webhook_attempts a JOIN webhook_deliveries d
                ON d.org_id = a.org_id AND d.id = a.delivery_id
              WHERE a.org_id = e.org_id AND d.endpoint_id = e.id AND a.status_code BETWEEN 200 AND 299) AS last_success_at,
            f.started_at AS last_failure_at, f.status_code AS last_failure_status,
            f.error_class AS last_failure_class
       FROM webhook_endpoints e
       LEFT JOIN LATERAL (
         SELECT a.started_at, a.status_code, a.error_class FROM webhook_attempts a JOIN webhook_deliveries d
             ON d.org_id = a.org_id AND d.id = a.delivery_id
          WHERE a.org_id = e.org_id AND d.endpoint_id = e.id
            AND (a.status_code IS NULL OR a.status_code NOT BETWEEN 200 AND 299)
          ORDER BY a.started_at DESC LIMIT 1) f ON true
      WHERE e.org_id = $1::uuid AND e.id = ANY($2::uuid[])`,
    // A Postgres array literal: the drizzle adapter would spread a JS array into separate parameters.
    [options.orgId, `{${options.endpointIds.join(',')}}`, since],
  );
  return new Map(
    rows.map((row) => {
      const finished = Number(row.finished);
      return [
        row.endpoint_id,
        {
          successRate: finished === 0 ? null : Number(row.succeeded) / finished,
          deliveriesLast7Days: finished,
          pending: Number(row.pending),
          lastSuccessAt: iso(row.last_success_at),
          lastFailureAt: iso(row.last_failure_at),
          lastFailure:
            row.last_failure_at === null
              ? null
              : row.last_failure_status !== null
                ? `HTTP ${row.last_failure_status}`
                : (row.last_failure_class ?? 'error'),
        },
      ];
    }),
  );
}

const EMPTY_HEALTH: WebhookEndpointView['health'] = {
  successRate: null,
  deliveriesLast7Days: 0,
  pending: 0,
  lastSuccessAt: null,
  lastFailureAt: null,
  lastFailure: null,
};

/** The API view of an endpoint: never the secret or custom header values. */
export function toEndpointView(
  row: WebhookEndpointRow,
  options: { headerNames: string[]; health?: WebhookEndpointView['health'] | undefined; now: Date },
): WebhookEndpointView {
  const graceEnds = row.previousSecretExpiresAt;
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    eventTypes: row.eventTypes,
    headerNames: options.headerNames,
    status: row.status,
    disabledReason: row.disabledReason,
    secretHint: row.secretHint,
    rotationGraceEndsAt: graceEnds && graceEnds > options.now ? graceEnds.toISOString() : null,
    failingSince: iso(row.failingSince),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    health: options.health ?? EMPTY_HEALTH,
  };
}
