import type { AuditEventView, AuditFilter } from '../../../contracts/audit.ts';
import type { SqlQuery } from '../../platform/db/query-rows.ts';

type Row = {
  id: string;
  seq: string | number;
  occurred_at: Date | string;
  actor_user_id: string | null;
  actor_role: string | null;
  actor_ip: string | null;
  actor_user_agent: string | null;
  action: string;
  outcome: AuditEventView['outcome'];
  target_type: string | null;
  target_id: string | null;
  metadata: Record<string, unknown>;
  request_id: string | null;
  hash: string;
};

function toView(row: Row): AuditEventView {
  return {
    id: row.id,
    seq: Number(row.seq),
    occurredAt: new Date(row.occurred_at).toISOString(),
    actor: { userId: row.actor_user_id, role: row.actor_role, ip: row.actor_ip, userAgent: row.actor_user_agent },
    action: row.action,
    outcome: row.outcome,
    target: row.target_type ? { type: row.target_type, id: row.target_id } : null,
    metadata: row.metadata,
    requestId: row.request_id,
    hash: row.hash,
  };
}

/**
 * One page of one chain, newest first, keyset-paginated by `seq` (stable under concurrent
 * appends). `orgId` null reads the platform chain; RLS already limits the transaction to it.
 */
export async function listAuditEvents(
  query: SqlQuery,
  options: { orgId: string | null; filter: AuditFilter; limit: number; beforeSeq?: number | undefined },
): Promise<{ items: AuditEventView[]; nextCursor: number | null }> {
  const conditions = ['org_id IS NOT DISTINCT FROM $1::uuid'];
  const params: unknown[] = [options.orgId];
  const add = (condition: string, value: unknown) => {
    params.push(value);
    conditions.push(condition.replace('?', `$${params.length}`));
  };
  const { filter } = options;
  if (filter.actor) add('actor_user_id = ?::uuid', filter.actor);
  if (filter.action?.endsWith('*'))
    add("action LIKE ? ESCAPE '\\'", `${filter.action.slice(0, -1).replaceAll('_', '\\_')}%`);
  else if (filter.action) add('action = ?', filter.action);
  if (filter.targetType) add('target_type = ?', filter.targetType);
  if (filter.targetId) add('target_id = ?', filter.targetId);
  if (filter.from) add('occurred_at >= ?::timestamptz', filter.from);
  if (filter.to) add('occurred_at < ?::timestamptz', filter.to);
  if (options.beforeSeq) add('seq < ?', options.beforeSeq);
  params.push(options.limit + 1);
  const rows = await query<Row>(
    `SELECT * FROM audit_events WHERE ${conditions.join(' AND ')} ORDER BY seq DESC LIMIT $${params.length}`,
    params,
  );
  const page = rows.slice(0, options.limit).map(toView);
  return { items: page, nextCursor: rows.length > options.limit ? (page.at(-1)?.seq ?? null) : null };
}

const CSV_COLUMNS = [
  'seq',
  'occurredAt',
  'action',
  'outcome',
  'actorUserId',
  'actorRole',
  'actorIp',
  'actorUserAgent',
  'targetType',
  'targetId',
  'requestId',
  'metadata',
  'hash',
] as const;

/**
 * One CSV cell: always quoted, quotes doubled, and a leading `= + - @` (or tab/CR) neutralised
 * with an apostrophe so a spreadsheet never evaluates audit content as a formula.
 */
export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replaceAll('"', '""')}"`;
}

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`;
}

export function csvLine(event: AuditEventView): string {
  const flat = {
    seq: event.seq,
    occurredAt: event.occurredAt,
    action: event.action,
    outcome: event.outcome,
    actorUserId: event.actor.userId,
    actorRole: event.actor.role,
    actorIp: event.actor.ip,
    actorUserAgent: event.actor.userAgent,
    targetType: event.target?.type ?? null,
    targetId: event.target?.id ?? null,
    requestId: event.requestId,
    metadata: event.metadata,
    hash: event.hash,
  };
  return `${CSV_COLUMNS.map((column) => csvCell(flat[column])).join(',')}\r\n`;
}

/**
 * Streams a whole (filtered) chain page by page, each page in its own short transaction, so an
 * export of millions of events holds one page in memory and no long-running transaction.
 */
export async function* exportAuditEvents(options: {
  readPage: (beforeSeq: number | undefined) => Promise<{ items: AuditEventView[]; nextCursor: number | null }>;
  format: 'jsonl' | 'csv';
}): AsyncGenerator<string> {
  if (options.format === 'csv') yield csvHeader();
  let cursor: number | undefined;
  for (;;) {
    const page = await options.readPage(cursor);
    let chunk = '';
    for (const event of page.items) chunk += options.format === 'csv' ? csvLine(event) : `${JSON.stringify(event)}\n`;
    if (chunk) yield chunk;
    if (page.nextCursor === null) return;
    cursor = page.nextCursor;
  }
}
