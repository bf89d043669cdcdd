import type { Clock } from '../../platform/clock.ts';
import type { Database } from '../../platform/db/database.ts';
import { transactionQuery } from '../../platform/db/query-rows.ts';
import { withTenantTransaction } from '../../platform/db/tenant-transaction.ts';
import type { SealedValueCache } from './sealed-value-cache.ts';
import { customHeadersPlace, endpointSecretPlace, previousSecretPlace } from './webhook-secret.ts';

/** What one attempt sends: read fresh for every attempt, secrets opened outside the transaction. */
export type PreparedDelivery = {
  deliveryId: string;
  endpointId: string;
  url: string;
  messageId: string;
  body: string;
  secrets: string[];
  /** Lower-cased, so a custom header can never shadow one of ours under another spelling. */
  customHeaders: Record<string, string>;
};

type DeliveryRow = {
  job_id: string;
  delivery_id: string;
  state: string;
  message_id: string;
  body: string;
  endpoint_id: string;
  url: string;
  status: string;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: Date | string | null;
  custom_headers_sealed: string | null;
  recorded: boolean;
};

// One statement for the whole batch, one primary-key lookup per job: the LATERAL … LIMIT 1
// subqueries (and LIMIT 1 in `recorded`, which an EXISTS would turn into a hashed scan) keep the planner from hashing a whole table when it has no statistics (PGlite runs
// no autovacuum, so its tables are never analysed). The endpoint's status is read here, for every attempt, so a
// paused, disabled or deleted endpoint (the inner join drops it) receives nothing from the moment
// its change commits. `recorded`: this job already logged its attempt (its worker died after
// recording, before completing the job) — it must not send again.
const DELIVERIES_SQL = `
SELECT j.job_id, d.id AS delivery_id, d.state, d.message_id, m.body,
       e.id AS endpoint_id, e.url, e.status, e.secret_sealed, e.previous_secret_sealed,
       e.previous_secret_expires_at, e.custom_headers_sealed,
       (SELECT true FROM webhook_attempts a WHERE a.org_id = $1::uuid AND a.job_id = j.job_id LIMIT 1) IS NOT NULL
         AS recorded
  FROM jsonb_to_recordset($2::jsonb) AS j(job_id uuid, delivery_id uuid)
 CROSS JOIN LATERAL (SELECT * FROM webhook_deliveries WHERE org_id = $1::uuid AND id = j.delivery_id LIMIT 1) d
 CROSS JOIN LATERAL (SELECT * FROM webhook_endpoints WHERE org_id = $1::uuid AND id = d.endpoint_id LIMIT 1) e
 CROSS JOIN LATERAL (SELECT body FROM webhook_messages WHERE org_id = $1::uuid AND id = d.message_id LIMIT 1) m`;

/**
 * Reads what to send for a batch of delivery jobs of one organisation, in one transaction of two
 * statements at most. A job maps to null when there is nothing to send: deleted endpoint, purged
 * message, delivery no longer pending, attempt already recorded, or endpoint not active — the
 * last marks its pending delivery failed (`endpoint_disabled`), as a retry due while an endpoint
 * is paused or disabled is not sent.
 */
export async function prepareWebhookDeliveries(
  dependencies: { database: Database; clock: Clock; sealed: SealedValueCache },
  orgId: string,
  jobs: readonly { jobId: string; deliveryId: string }[],
): Promise<Map<string, PreparedDelivery | null>> {
  const { database, clock, sealed } = dependencies;
  const now = clock.now();
  const rows = await withTenantTransaction(
    database,
    { orgId, userId: null, requestId: `webhook-batch:${jobs[0]?.jobId ?? ''}` },
    async (transaction) => {
      const query = transactionQuery(transaction);
      const found = await query<DeliveryRow>(DELIVERIES_SQL, [
        orgId,
        JSON.stringify(jobs.map((job) => ({ job_id: job.jobId, delivery_id: job.deliveryId }))),
      ]);
      const toEndpointDisabled = found
        .filter((row) => !row.recorded && row.state === 'pending' && row.status !== 'active')
        .map((row) => row.delivery_id);
      if (toEndpointDisabled.length > 0)
        await query(
          `UPDATE webhook_deliveries
              SET state = 'failed', next_attempt_at = NULL, last_error_class = 'endpoint_disabled', updated_at = $3::timestamptz
            WHERE org_id = $1::uuid AND state = 'pending'
              AND id = ANY (ARRAY(SELECT jsonb_array_elements_text($2::jsonb)::uuid))`,
          // JSON, not an array parameter: drizzle's sql template would spread an array.
          [orgId, JSON.stringify(toEndpointDisabled), now.toISOString()],
        );
      return found;
    },
  );

  const prepared = new Map<string, PreparedDelivery | null>(jobs.map((job) => [job.jobId, null]));
  // Opened after the transaction: a data-key reload reads the database, which on PGlite (one
  // connection) would wait for the open transaction forever.
  await Promise.all(
    rows
      .filter((row) => !row.recorded && row.state === 'pending' && row.status === 'active')
      .map(async (row) => {
        const secrets = [await sealed.openText(row.secret_sealed, endpointSecretPlace(orgId, row.endpoint_id))];
        const previousExpiresAt = row.previous_secret_expires_at ? new Date(row.previous_secret_expires_at) : null;
        if (row.previous_secret_sealed && previousExpiresAt && previousExpiresAt > now)
          secrets.push(await sealed.openText(row.previous_secret_sealed, previousSecretPlace(orgId, row.endpoint_id)));
        const customHeaders = row.custom_headers_sealed
          ? (JSON.parse(
              await sealed.openText(row.custom_headers_sealed, customHeadersPlace(orgId, row.endpoint_id)),
            ) as Record<string, string>)
          : {};
        prepared.set(row.job_id, {
          deliveryId: row.delivery_id,
          endpointId: row.endpoint_id,
          url: row.url,
          messageId: row.message_id,
          body: row.body,
          secrets,
          customHeaders: Object.fromEntries(
            Object.entries(customHeaders).map(([name, value]) => [name.toLowerCase(), value]),
          ),
        });
      }),
  );
  return prepared;
}
