import { withPlatformTransaction } from '../../../platform/db/tenant-transaction.ts';
import { AppError } from '../../../platform/errors/app-error.ts';
import type { AccountContext, RequestMeta } from './account-context.ts';
import { takePasswordGuess } from './account-context.ts';
import { findAccountById } from './find-account.ts';
import { normaliseEmail } from './normalise-email.ts';

/**
 * Checks that whoever is asking knows the account's password (before an SSO identity is linked to
 * it). Counts against the same wrong-password budgets as sign-in, so it is no faster a way to
 * guess; an account without a password always fails (after a dummy comparison).
 */
export async function provePassword(options: {
  context: AccountContext;
  userId: string;
  password: string;
  meta: RequestMeta;
}): Promise<void> {
  const { context, meta } = options;
  const account = await withPlatformTransaction(
    context.database,
    { userId: options.userId, requestId: meta.requestId },
    (transaction) => findAccountById({ transaction, userId: options.userId }),
  );
  if (!account) throw new AppError('invalid-credentials', 'The password is not right.');
  const guess = takePasswordGuess({ context, emailNormalised: normaliseEmail(account.email), ip: meta.ip });
  const right = await context.hasher.verify({ password: options.password, hash: account.passwordHash });
  if (!right || !account.passwordHash) throw new AppError('invalid-credentials', 'The password is not right.');
  guess.refund();
}
