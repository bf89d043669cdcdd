import { eq, sql } from 'drizzle-orm';
import type { Caller } from '../../../platform/authz/caller.ts';
import { queryRows } from '../../../platform/db/query-rows.ts';
import { mailOutbox, memberships, users } from '../../../platform/db/schema.ts';
import { withPlatformTransaction, withTenantTransaction } from '../../../platform/db/tenant-transaction.ts';
import { AppError } from '../../../platform/errors/app-error.ts';
import type { AccountContext, AuditedUnit, RequestMeta } from './account-context.ts';
import { takePasswordGuess } from './account-context.ts';
import { findAccountById } from './find-account.ts';
import { normaliseEmail } from './normalise-email.ts';

/**
 * Called before an account's rows go, for what lives outside this database: the integrations
 * module revokes the tokens the user granted to connected providers. A no-op until integrations
 * exist.
 */
export type RevokeUserGrants = (options: { userId: string }) => Promise<void>;
export const noUserGrants: RevokeUserGrants = async () => {};

/**
 * Deletes the caller's account: the password again (and a recent step-up with MFA), then in one
 * transaction every row that names them — user, credentials, email tokens, sessions and refresh
 * tokens, MFA secret and recovery codes, memberships (all by cascade from `users`), and mail sent
 * to their address. Audit events stay: they carry only the user id, which resolves to nobody once
 * the account is gone (pseudonymous), never an email or name. An organisation's last admin must
 * hand over or delete the organisation first.
 */
export async function deleteAccount(options: {
  context: AccountContext;
  caller: Caller;
  password: string;
  meta: RequestMeta;
  unit: AuditedUnit;
  revokeUserGrants?: RevokeUserGrants;
}): Promise<void> {
  const { context, caller, meta, unit } = options;
  unit.audit.actor(caller.userId);
  unit.audit.target('user', caller.userId);
  await context.requireStepUp(caller);
  const scope = { userId: caller.userId, requestId: meta.requestId };
  const account = await withPlatformTransaction(context.database, scope, (transaction) =>
    findAccountById({ transaction, userId: caller.userId }),
  );
  if (!account) throw new AppError('unauthenticated', 'Sign in again.');
  const guess = takePasswordGuess({ context, emailNormalised: normaliseEmail(account.email), ip: meta.ip });
  if (!(await context.hasher.verify({ password: options.password, hash: account.passwordHash }))) {
    throw new AppError('validation-failed', 'The password is not right.', {
      errors: [{ pointer: '/body/password', message: 'is not your password' }],
    });
  }
  guess.refund();

  // Organisations this user administers must keep an admin.
  const administered = await withPlatformTransaction(context.database, scope, (transaction) =>
    transaction
      .select({ orgId: memberships.orgId })
      .from(memberships)
      .where(sql`${memberships.userId} = ${caller.userId} AND ${memberships.role} = 'org_admin'`),
  );
  for (const { orgId } of administered) {
    const [admins] = await withTenantTransaction(
      context.database,
      { orgId, userId: caller.userId, requestId: meta.requestId },
      (transaction) =>
        queryRows<{ count: number }>(
          transaction,
          sql`SELECT count(*)::int AS count FROM memberships WHERE role = 'org_admin' AND user_id <> ${caller.userId}`,
        ),
    );
    if (!admins || admins.count === 0) {
      throw new AppError(
        'conflict',
        'You are the last admin of an organisation: make someone else an admin, or delete the organisation, first.',
      );
    }
  }

  await (options.revokeUserGrants ?? noUserGrants)({ userId: caller.userId });
  await unit.run(async (transaction) => {
    await transaction.delete(mailOutbox).where(eq(mailOutbox.toAddress, account.email));
    await transaction.delete(users).where(eq(users.id, caller.userId));
  });
  // The sessions went with the user (ON DELETE CASCADE); this ends nothing more in the database
  // but drops what this process cached about them, so their access tokens stop at the next request.
  await context.revokeAllSessions({ userId: caller.userId, reason: 'account_deleted' });
}
