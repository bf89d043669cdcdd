import { transactionQuery } from '../../../platform/db/query-rows.ts';
import { withPlatformTransaction } from '../../../platform/db/tenant-transaction.ts';
import { appendAuditEvent } from '../../audit/append-audit-event.ts';
import type { AccountContext, RequestMeta } from './account-context.ts';
import { passwordResetMail } from './account-mail.ts';
import { issueEmailToken } from './email-tokens.ts';
import { findAccountByEmail } from './find-account.ts';
import { normaliseEmail } from './normalise-email.ts';

/**
 * Mails a password reset link (single use, 30 minutes) if the email has an account. Answers at
 * once whatever the email: lookup, token, audit event and mail happen in the background, so
 * neither the answer nor its timing reveals whether the account exists. Suspended accounts get
 * nothing (a reset would not let them sign in anyway).
 */
export function requestPasswordReset(options: { context: AccountContext; email: string; meta: RequestMeta }): void {
  const { context, meta } = options;
  const emailNormalised = normaliseEmail(options.email);
  context.tasks.run('account.password_reset_requested', async () => {
    if (!context.limiters.mailsPerAddress.take(emailNormalised).allowed) return;
    const now = context.clock.now();
    const mail = await withPlatformTransaction(
      context.database,
      { userId: null, requestId: meta.requestId },
      async (transaction) => {
        const account = await findAccountByEmail({ transaction, emailNormalised });
        if (!account || account.suspendedAt) return null;
        const token = await issueEmailToken({ transaction, userId: account.id, purpose: 'reset_password', now });
        // The owner's security history shows who asked for a reset, and from where.
        await appendAuditEvent(transactionQuery(transaction), {
          orgId: null,
          actor: { userId: null, role: null, ip: meta.ip, userAgent: meta.userAgent },
          action: 'account.password_reset_requested',
          outcome: 'success',
          target: { type: 'user', id: account.id },
          metadata: {},
          requestId: meta.requestId,
          occurredAt: now,
        });
        return passwordResetMail({
          to: account.email,
          displayName: account.displayName,
          resetLink: context.links.resetPassword(token),
        });
      },
    );
    if (mail) await context.mailer.sendMail(mail);
  });
}
