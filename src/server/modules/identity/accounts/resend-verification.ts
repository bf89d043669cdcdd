import { withPlatformTransaction } from '../../../platform/db/tenant-transaction.ts';
import type { AccountContext, RequestMeta } from './account-context.ts';
import { verificationMail } from './account-mail.ts';
import { issueEmailToken, revokeEmailTokens } from './email-tokens.ts';
import { findAccountByEmail } from './find-account.ts';
import { normaliseEmail } from './normalise-email.ts';

/**
 * Mails a fresh verification link to an unverified account (earlier links stop working). Answers
 * at once whatever the email: the lookup and the mail happen in the background, so neither the
 * answer nor its timing says whether the account exists or is already verified.
 */
export function resendVerification(options: { context: AccountContext; email: string; meta: RequestMeta }): void {
  const { context, meta } = options;
  const emailNormalised = normaliseEmail(options.email);
  context.tasks.run('account.resend_verification', async () => {
    if (!context.limiters.mailsPerAddress.take(emailNormalised).allowed) return;
    const now = context.clock.now();
    const mail = await withPlatformTransaction(
      context.database,
      { userId: null, requestId: meta.requestId },
      async (transaction) => {
        const account = await findAccountByEmail({ transaction, emailNormalised });
        if (!account || account.emailVerifiedAt || account.suspendedAt) return null;
        await revokeEmailTokens({ transaction, userId: account.id, purpose: 'verify_email', now });
        const token = await issueEmailToken({ transaction, userId: account.id, purpose: 'verify_email', now });
        return verificationMail({
          to: account.email,
          displayName: account.displayName,
          verifyLink: context.links.verifyEmail(token),
        });
      },
    );
    if (mail) await context.mailer.sendMail(mail);
  });
}
