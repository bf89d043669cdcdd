import { type AuditAction, isAuditAction } from '../../../contracts/audit-actions.ts';
import { newId } from '../../platform/db/ids.ts';
import type { SqlQuery } from '../../platform/db/query-rows.ts';
import {
  escapeControlCharacters,
  escapeMetadata,
  GENESIS_HASH,
  type HashedAuditFields,
  hashAuditEvent,
} from './audit-hash.ts';

export type AuditActor = { userId: string | null; role: string | null; ip: string | null; userAgent: string | null };

export type AuditEventInput = {
  /** null: the platform chain. Must match the transaction's organisation (RLS enforces it). */
  orgId: string | null;
  actor: AuditActor;
  action: AuditAction;
  outcome: 'success' | 'denied' | 'failure';
  target?: { type: string; id: string } | null;
  metadata?: Record<string, unknown>;
  requestId: string | null;
  occurredAt: Date;
};

export const SYSTEM_ACTOR: AuditActor = { userId: null, role: 'system', ip: null, userAgent: null };

const MAX_TEXT = 512;

function cleanText(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return escapeControlCharacters(value).slice(0, MAX_TEXT);
}

/**
 * Appends one event to its chain inside the caller's transaction, so the event commits or rolls
 * back with the action it records. Appends are serialised per chain with a transaction-scoped
 * advisory lock: two concurrent events cannot both link to the same predecessor.
 */
export async function appendAuditEvent(
  query: SqlQuery,
  input: AuditEventInput,
): Promise<{ id: string; seq: number; hash: string }> {
  // The type already says so; this catches a cast, so no event reaches a chain unlabelled.
  if (!isAuditAction(input.action))
    throw new Error(`audit action ${input.action} is not in src/contracts/audit-actions.ts`);
  const chainKey = `vigil:audit:${input.orgId ?? 'platform'}`;
  await query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [chainKey]);
  const [previous] = await query<{ seq: string | number; hash: string }>(
    'SELECT seq, hash FROM audit_events WHERE org_id IS NOT DISTINCT FROM $1::uuid ORDER BY seq DESC LIMIT 1',
    [input.orgId],
  );
  const fields: HashedAuditFields = {
    id: newId(),
    orgId: input.orgId,
    seq: previous ? Number(previous.seq) + 1 : 1,
    occurredAt: input.occurredAt,
    actorUserId: input.actor.userId,
    actorRole: cleanText(input.actor.role),
    actorIp: cleanText(input.actor.ip),
    actorUserAgent: cleanText(input.actor.userAgent),
    action: input.action,
    outcome: input.outcome,
    targetType: cleanText(input.target?.type),
    targetId: cleanText(input.target?.id),
    metadata: escapeMetadata(input.metadata ?? {}) as Record<string, unknown>,
    requestId: cleanText(input.requestId),
  };
  const prevHash = previous?.hash ?? GENESIS_HASH;
  const hash = hashAuditEvent(prevHash, fields);
  await query(
    `INSERT INTO audit_events (id, org_id, seq, occurred_at, actor_user_id, actor_role, actor_ip, actor_user_agent, action, outcome,
       target_type, target_id, metadata, request_id, prev_hash, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14, $15, $16)`,
    [
      fields.id,
      fields.orgId,
      fields.seq,
      fields.occurredAt.toISOString(),
      fields.actorUserId,
      fields.actorRole,
      fields.actorIp,
      fields.actorUserAgent,
      fields.action,
      fields.outcome,
      fields.targetType,
      fields.targetId,
      JSON.stringify(fields.metadata),
      fields.requestId,
      prevHash,
      hash,
    ],
  );
  return { id: fields.id, seq: fields.seq, hash };
}
