import { eq } from 'drizzle-orm';
import { users } from '../../../platform/db/schema.ts';
import { withPlatformTransaction } from '../../../platform/db/tenant-transaction.ts';
import { AppError } from '../../../platform/errors/app-error.ts';
import type { AccountContext, AuditedUnit, RequestMeta } from './account-context.ts';
import { passwordChangedMail } from './account-mail.ts';
import { consumeEmailToken, findUsableEmailToken, revokeEmailTokens } from './email-tokens.ts';
import { checkPasswordPolicy } from './password-policy.ts';
import { storePassword } from './store-password.ts';

const INVALID_LINK = 'This password reset link is invalid, expired or already used.';

/**
 * Sets a new password with a reset token (single use, 30 minutes): the token is consumed, every
 * other reset link of the account stops working, `tokens_valid_after` moves to now (outstanding
 * access tokens die at once) and every session is ended. Completing a reset also verifies the
 * email (the link proved control of the mailbox).
 */
export async function completePasswordReset(options: {
  context: AccountContext;
  token: string;
  newPassword: string;
  meta: RequestMeta;
  unit: AuditedUnit;
}): Promise<void> {
  const { context, meta, unit } = options;
  const scope = { userId: null, requestId: meta.requestId };
  // Read first (nothing changes): the policy needs the user's email and name, and the bcrypt hash
  // must not run inside a transaction (it would hold a pooled connection for its duration).
  const owner = await withPlatformTransaction(context.database, scope, async (transaction) => {
    const found = await findUsableEmailToken({
      transaction,
      token: options.token,
      purpose: 'reset_password',
      now: context.clock.now(),
    });
    if (!found) return null;
    const [user] = await transaction
      .select({ id: users.id, email: users.email, displayName: users.displayName })
      .from(users)
      .where(eq(users.id, found.userId));
    return user ?? null;
  });
  if (!owner) throw new AppError('invalid-email-token', INVALID_LINK);
  checkPasswordPolicy({
    password: options.newPassword,
    userInputs: [owner.email, ...(owner.displayName ? [owner.displayName] : [])],
    field: 'newPassword',
  });
  const passwordHash = await context.hasher.hash(options.newPassword);

  const now = context.clock.now();
  await unit.run(async (transaction) => {
    // Consumed atomically now: of two concurrent completions with one link, one wins.
    const consumed = await consumeEmailToken({ transaction, token: options.token, purpose: 'reset_password', now });
    if (!consumed || consumed.userId !== owner.id) throw new AppError('invalid-email-token', INVALID_LINK);
    unit.audit.actor(owner.id);
    unit.audit.target('user', owner.id);
    await storePassword({ transaction, userId: owner.id, passwordHash, now, markEmailVerified: true });
    await revokeEmailTokens({ transaction, userId: owner.id, purpose: 'reset_password', now });
  });
  // After the commit: the sessions module runs its own transaction (PGlite has one connection).
  // tokens_valid_after already refuses every access token issued before now.
  await context.revokeAllSessions({ userId: owner.id, reason: 'password_reset' });
  await context.mailer.sendMail(
    passwordChangedMail({
      to: owner.email,
      displayName: owner.displayName,
      how: 'reset',
      forgotPasswordLink: context.links.forgotPassword(),
    }),
  );
}
