import { asc, eq } from 'drizzle-orm';
import type { MeResponse } from '../../../../contracts/identity.ts';
import type { Database } from '../../../platform/db/database.ts';
import { memberships, organisations, users } from '../../../platform/db/schema.ts';
import { withPlatformTransaction } from '../../../platform/db/tenant-transaction.ts';
import { AppError } from '../../../platform/errors/app-error.ts';

/**
 * The caller's profile and organisations. The transaction carries the caller as `app.user_id`,
 * so row-level security shows exactly their own memberships and nobody else's.
 */
export async function readProfile(options: {
  database: Database;
  userId: string;
  requestId: string;
  /** The organisation of the caller's current access token, if any. */
  activeOrgId?: string | null;
}): Promise<MeResponse> {
  return withPlatformTransaction(
    options.database,
    { userId: options.userId, requestId: options.requestId },
    async (transaction) => {
      const [user] = await transaction.select().from(users).where(eq(users.id, options.userId));
      if (!user) throw new AppError('unauthenticated', 'Sign in again.');
      const rows = await transaction
        .select({ orgId: memberships.orgId, orgName: organisations.name, role: memberships.role })
        .from(memberships)
        .innerJoin(organisations, eq(organisations.id, memberships.orgId))
        // Row-level security already limits this to the caller; the filter says so in the query.
        .where(eq(memberships.userId, options.userId))
        .orderBy(asc(organisations.name), asc(memberships.orgId));
      return {
        id: user.id,
        email: user.email,
        displayName: user.displayName,
        emailVerified: user.emailVerifiedAt !== null,
        platformAdmin: user.platformAdmin,
        activeOrgId: rows.some((row) => row.orgId === options.activeOrgId) ? (options.activeOrgId ?? null) : null,
        memberships: rows,
      };
    },
  );
}
