import { eq } from 'drizzle-orm';
import type { SupportAccessGrant as GrantView } from '../../../contracts/support-access.ts';
import type { Transaction } from '../../platform/db/database.ts';
import { type SupportAccessGrant, users } from '../../platform/db/schema.ts';

/** A grant as the API shows it, with the account of the org admin who granted it. */
export async function supportAccessGrantView(transaction: Transaction, grant: SupportAccessGrant): Promise<GrantView> {
  const [grantor] = grant.grantedBy
    ? await transaction
        .select({ userId: users.id, email: users.email, displayName: users.displayName })
        .from(users)
        .where(eq(users.id, grant.grantedBy))
    : [];
  return {
    id: grant.id,
    grantedBy: grantor ?? null,
    reason: grant.reason,
    grantedAt: grant.grantedAt.toISOString(),
    expiresAt: grant.expiresAt.toISOString(),
  };
}
