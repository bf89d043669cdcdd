import { newId } from '../../../platform/db/ids.ts';
import { transactionQuery } from '../../../platform/db/query-rows.ts';
import { passwordCredentials, users } from '../../../platform/db/schema.ts';
import { withPlatformTransaction } from '../../../platform/db/tenant-transaction.ts';
import { appendAuditEvent } from '../../audit/append-audit-event.ts';
import type { AccountContext, RequestMeta } from './account-context.ts';
import { accountExistsMail, verificationMail } from './account-mail.ts';
import { issueEmailToken } from './email-tokens.ts';
import { findAccountByEmail } from './find-account.ts';
import { normaliseEmail } from './normalise-email.ts';
import { checkPasswordPolicy } from './password-policy.ts';

/**
 * Creates an account and mails a verification link — or, when the email already has an account,
 * mails its owner instead (with a reset link) and changes nothing. The caller gets the same
 * answer either way and both paths cost one bcrypt hash and one mail, so sign-up does not reveal
 * which emails are registered. `account.signed_up` is audited only when an account is created.
 */
export async function signUp(options: {
  context: AccountContext;
  email: string;
  password: string;
  displayName: string | null;
  meta: RequestMeta;
}): Promise<void> {
  const { context, meta } = options;
  const email = options.email.trim();
  const emailNormalised = normaliseEmail(email);
  checkPasswordPolicy({
    password: options.password,
    userInputs: [email, ...(options.displayName ? [options.displayName] : [])],
    field: 'password',
  });
  // Hashed before looking the email up, on both paths: the time taken says nothing about it.
  const passwordHash = await context.hasher.hash(options.password);
  const now = context.clock.now();
  const scope = { userId: null, requestId: meta.requestId };

  const created = await withPlatformTransaction(context.database, scope, async (transaction) => {
    const userId = newId();
    const [inserted] = await transaction
      .insert(users)
      .values({
        id: userId,
        email,
        emailNormalised,
        displayName: options.displayName,
        tokensValidAfter: now,
        createdAt: now,
        updatedAt: now,
      })
      // A concurrent sign-up with the same email makes this one the "already registered" case.
      .onConflictDoNothing({ target: users.emailNormalised })
      .returning({ id: users.id });
    if (!inserted) return null;
    await transaction.insert(passwordCredentials).values({ userId, passwordHash, updatedAt: now });
    const token = await issueEmailToken({ transaction, userId, purpose: 'verify_email', now });
    await appendAuditEvent(transactionQuery(transaction), {
      orgId: null,
      actor: { userId, role: null, ip: meta.ip, userAgent: meta.userAgent },
      action: 'account.signed_up',
      outcome: 'success',
      target: { type: 'user', id: userId },
      metadata: {},
      requestId: meta.requestId,
      occurredAt: now,
    });
    return { userId, token };
  });

  // Counts against the address's mail budget on both paths.
  const mayMail = context.limiters.mailsPerAddress.take(emailNormalised).allowed;
  if (created) {
    await context.mailer.sendMail(
      verificationMail({
        to: email,
        displayName: options.displayName,
        verifyLink: context.links.verifyEmail(created.token),
      }),
    );
    return;
  }
  if (!mayMail) return;
  const notice = await withPlatformTransaction(context.database, scope, async (transaction) => {
    const account = await findAccountByEmail({ transaction, emailNormalised });
    if (!account || account.suspendedAt) return null;
    const resetToken = await issueEmailToken({ transaction, userId: account.id, purpose: 'reset_password', now });
    const verifyToken = account.emailVerifiedAt
      ? null
      : await issueEmailToken({ transaction, userId: account.id, purpose: 'verify_email', now });
    return { account, resetToken, verifyToken };
  });
  if (!notice) return;
  await context.mailer.sendMail(
    accountExistsMail({
      to: notice.account.email,
      displayName: notice.account.displayName,
      resetLink: context.links.resetPassword(notice.resetToken),
      verifyLink: notice.verifyToken ? context.links.verifyEmail(notice.verifyToken) : null,
      signInLink: context.links.signIn(),
    }),
  );
}
