import type { Caller } from '../../../platform/authz/caller.ts';
import { withPlatformTransaction } from '../../../platform/db/tenant-transaction.ts';
import { AppError } from '../../../platform/errors/app-error.ts';
import type { AccountContext, AuditedUnit, RequestMeta } from './account-context.ts';
import { takePasswordGuess } from './account-context.ts';
import { passwordChangedMail } from './account-mail.ts';
import { revokeEmailTokens } from './email-tokens.ts';
import { findAccountById } from './find-account.ts';
import { normaliseEmail } from './normalise-email.ts';
import { checkPasswordPolicy } from './password-policy.ts';
import { storePassword } from './store-password.ts';

/**
 * Changes the caller's password: needs the current password (and, once MFA is wired, a recent
 * second factor via requireStepUp). Then every other session is ended and `tokens_valid_after`
 * moves to now, which refuses every access token issued before — the caller's too, by design:
 * one rule ("no token older than the password") instead of an exception; the caller's session
 * survives, so its client refreshes once and carries on. Outstanding reset links stop working.
 */
export async function changePassword(options: {
  context: AccountContext;
  caller: Caller;
  currentPassword: string;
  newPassword: string;
  meta: RequestMeta;
  unit: AuditedUnit;
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

  // A stolen access token must not become a way to guess the password: same budget as sign-in.
  const guess = takePasswordGuess({ context, emailNormalised: normaliseEmail(account.email), ip: meta.ip });
  const currentIsRight = await context.hasher.verify({ password: options.currentPassword, hash: account.passwordHash });
  if (!currentIsRight) {
    throw new AppError('validation-failed', 'The current password is not right.', {
      errors: [{ pointer: '/body/currentPassword', message: 'is not your current password' }],
    });
  }
  guess.refund();

  checkPasswordPolicy({
    password: options.newPassword,
    userInputs: [account.email, ...(account.displayName ? [account.displayName] : [])],
    field: 'newPassword',
  });
  const passwordHash = await context.hasher.hash(options.newPassword);
  const now = context.clock.now();
  await unit.run(async (transaction) => {
    await storePassword({ transaction, userId: caller.userId, passwordHash, now });
    await revokeEmailTokens({ transaction, userId: caller.userId, purpose: 'reset_password', now });
  });
  await context.revokeAllSessions({
    userId: caller.userId,
    exceptSessionId: caller.sessionId,
    reason: 'password_changed',
  });
  await context.mailer.sendMail(
    passwordChangedMail({
      to: account.email,
      displayName: account.displayName,
      how: 'change',
      forgotPasswordLink: context.links.forgotPassword(),
    }),
  );
}
