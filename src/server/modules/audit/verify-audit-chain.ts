import type { MigrationConnection } from '../../platform/db/database.ts';
import { GENESIS_HASH, hashAuditEvent } from './audit-hash.ts';

export type ChainReport = {
  orgId: string | null;
  events: number;
  head: { seq: number; hash: string } | null;
  /** The first link that does not hold, or null when the whole chain verifies. */
  firstBroken: { seq: number; id: string; reason: string } | null;
};

type Row = {
  id: string;
  org_id: string | null;
  seq: string | number;
  occurred_at: Date | string;
  actor_user_id: string | null;
  actor_role: string | null;
  actor_ip: string | null;
  actor_user_agent: string | null;
  action: string;
  outcome: string;
  target_type: string | null;
  target_id: string | null;
  metadata: Record<string, unknown> | string;
  request_id: string | null;
  prev_hash: string;
  hash: string;
};

const PAGE = 2000;

/**
 * Recomputes audit chains from the stored events (as the owner, across every organisation) and
 * reports the first broken link of each: an edited field (hash mismatch), a deleted or inserted
 * event (sequence gap or prev_hash mismatch), or a reordering. Reads in pages: constant memory.
 */
export async function verifyAuditChains(
  query: MigrationConnection['query'],
  options: { orgId?: string | null } = {},
): Promise<ChainReport[]> {
  const chains =
    options.orgId !== undefined
      ? [{ org_id: options.orgId }]
      : await query<{ org_id: string | null }>('SELECT DISTINCT org_id FROM audit_events ORDER BY org_id NULLS FIRST');
  const reports: ChainReport[] = [];
  for (const { org_id: orgId } of chains) {
    const report: ChainReport = { orgId, events: 0, head: null, firstBroken: null };
    let expectedSeq = 1;
    let prevHash = GENESIS_HASH;
    let afterSeq = 0;
    for (;;) {
      const rows = await query<Row>(
        'SELECT * FROM audit_events WHERE org_id IS NOT DISTINCT FROM $1::uuid AND seq > $2 ORDER BY seq LIMIT $3',
        [orgId, afterSeq, PAGE],
      );
      for (const row of rows) {
        const seq = Number(row.seq);
        report.events += 1;
        if (!report.firstBroken) {
          const metadata =
            typeof row.metadata === 'string' ? (JSON.parse(row.metadata) as Record<string, unknown>) : row.metadata;
          const recomputed = hashAuditEvent(prevHash, {
            id: row.id,
            orgId: row.org_id,
            seq,
            occurredAt: new Date(row.occurred_at),
            actorUserId: row.actor_user_id,
            actorRole: row.actor_role,
            actorIp: row.actor_ip,
            actorUserAgent: row.actor_user_agent,
            action: row.action,
            outcome: row.outcome,
            targetType: row.target_type,
            targetId: row.target_id,
            metadata,
            requestId: row.request_id,
          });
          if (seq !== expectedSeq)
            report.firstBroken = { seq, id: row.id, reason: `expected seq ${expectedSeq}: an event is missing` };
          else if (row.prev_hash !== prevHash)
            report.firstBroken = { seq, id: row.id, reason: 'prev_hash does not match the previous event' };
          else if (recomputed !== row.hash)
            report.firstBroken = { seq, id: row.id, reason: 'content does not match its hash: the event was edited' };
        }
        prevHash = row.hash;
        expectedSeq = seq + 1;
        report.head = { seq, hash: row.hash };
      }
      if (rows.length < PAGE) break;
      afterSeq = Number(rows.at(-1)?.seq);
    }
    reports.push(report);
  }
  return reports;
}
