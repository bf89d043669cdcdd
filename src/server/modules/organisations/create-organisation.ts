import { randomBytes } from 'node:crypto';
import type { OrganisationView } from '../../../contracts/organisations.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Transaction } from '../../platform/db/database.ts';
import { newId } from '../../platform/db/ids.ts';
import { transactionQuery } from '../../platform/db/query-rows.ts';
import { memberships, organisations } from '../../platform/db/schema.ts';
import { appendAuditEvent, type AuditActor } from '../audit/append-audit-event.ts';
import { inOrganisationScope } from '../../platform/db/tenant-transaction.ts';
import { organisationView } from './organisation-view.ts';

/** `Acme Corp — EMEA` → `acme-corp-emea-3f9a`: readable, and unique without asking the database. */
export function slugFor(name: string): string {
  const base = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return `${base || 'org'}-${randomBytes(3).toString('hex')}`;
}

/**
 * Creates an organisation with the caller as its first org admin, in the caller's (platform)
 * transaction: the organisation row, the membership and the first event of the organisation's
 * own audit chain commit together with the route's platform event.
 */
export async function createOrganisation(options: {
  transaction: Transaction;
  clock: Clock;
  userId: string;
  name: string;
  actor: AuditActor;
  requestId: string;
}): Promise<OrganisationView> {
  const { transaction, clock, userId } = options;
  const now = clock.now();
  const id = newId();
  const [row] = await transaction
    .insert(organisations)
    .values({ id, slug: slugFor(options.name), name: options.name, createdAt: now, updatedAt: now })
    .returning();
  await inOrganisationScope(transaction, id, async () => {
    await transaction.insert(memberships).values({ orgId: id, userId, role: 'org_admin', createdAt: now });
    await appendAuditEvent(transactionQuery(transaction), {
      orgId: id,
      actor: { ...options.actor, role: 'org_admin' },
      action: 'organisation.created',
      outcome: 'success',
      target: { type: 'organisation', id },
      metadata: {},
      requestId: options.requestId,
      occurredAt: now,
    });
  });
  return organisationView({ ...(row as NonNullable<typeof row>), memberCount: 1 });
}
