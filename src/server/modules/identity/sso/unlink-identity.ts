import { and, eq, sql } from 'drizzle-orm';
import type { Transaction } from '../../../platform/db/database.ts';
import { passwordCredentials } from '../../../platform/db/schema.ts';
import { AppError } from '../../../platform/errors/app-error.ts';
import { userIdentities } from './sso-tables.ts';

/**
 * Removes one of the caller's linked identities (in the route's audited transaction). Refused when
 * it is the account's last way to sign in: no password and no other identity.
 */
export async function unlinkIdentity(
  transaction: Transaction,
  options: { userId: string; identityId: string },
): Promise<{ provider: string }> {
  const { userId, identityId } = options;
  // Serialises concurrent unlinks of one account: two of its last two identities cannot both go.
  await transaction.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`sso-unlink:${userId}`}, 0))`);
  const identities = await transaction
    .select({ id: userIdentities.id, provider: userIdentities.provider })
    .from(userIdentities)
    .where(eq(userIdentities.userId, userId));
  const target = identities.find((identity) => identity.id === identityId);
  if (!target) throw new AppError('not-found', 'No such linked identity.');
  const [password] = await transaction
    .select({ userId: passwordCredentials.userId })
    .from(passwordCredentials)
    .where(eq(passwordCredentials.userId, userId));
  if (!password && identities.length <= 1) {
    throw new AppError(
      'sso-last-sign-in-method',
      'This is your only way to sign in. Set a password (“Forgot password” mails a link) or link another provider first.',
    );
  }
  await transaction
    .delete(userIdentities)
    .where(and(eq(userIdentities.id, identityId), eq(userIdentities.userId, userId)));
  return { provider: target.provider };
}
