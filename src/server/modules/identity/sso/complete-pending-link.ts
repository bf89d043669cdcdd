import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Transaction } from '../../../platform/db/database.ts';
import { withPlatformTransaction } from '../../../platform/db/tenant-transaction.ts';
import { AppError } from '../../../platform/errors/app-error.ts';
import { findAccountById } from '../accounts/find-account.ts';
import { type SecondFactorProof, secondFactorError, verifySecondFactor } from '../mfa/verify-second-factor.ts';
import {
  insertIdentity,
  signInAccount,
  type SsoAudit,
  type SsoRequestMeta,
  type SsoSignInOutcome,
} from './complete-sso-login.ts';
import { type SsoDependencies, sha256Hex } from './sso-dependencies.ts';
import { type SsoPendingLinkRow, ssoPendingLinks } from './sso-tables.ts';

function linkInvalid(): AppError {
  return new AppError(
    'sso-link-invalid',
    'This linking step expired or was already used. Sign in with the provider again.',
  );
}

/**
 * Completes a pending link: the existing account proves control with its password (same
 * wrong-password budget as sign-in) and, when it has MFA, a code — only then is the identity
 * linked (the pending link is consumed in the same transaction, once) and the account signed in.
 * A platform admin without MFA gets the enrolment-only challenge, as after any sign-in.
 */
export async function completePendingLink(
  deps: SsoDependencies,
  options: {
    linkToken: string;
    password: string;
    proof: SecondFactorProof | null;
    meta: SsoRequestMeta;
    audit: SsoAudit;
  },
): Promise<SsoSignInOutcome> {
  const { database, clock, keyring, providers } = deps;
  const { meta, audit } = options;
  const tokenHash = sha256Hex(options.linkToken);
  const pending = await withPlatformTransaction(
    database,
    { userId: null, requestId: meta.requestId },
    async (transaction) => {
      const [row] = await transaction
        .select()
        .from(ssoPendingLinks)
        .where(
          and(
            eq(ssoPendingLinks.tokenHash, tokenHash),
            isNull(ssoPendingLinks.usedAt),
            gt(ssoPendingLinks.expiresAt, clock.now()),
          ),
        );
      return row ?? null;
    },
  );
  if (!pending) throw linkInvalid();
  audit.actor(pending.userId);
  audit.target('user', pending.userId);
  audit.metadata({ provider: pending.provider, via: 'pending-link' });
  const provider = providers.find(pending.provider);

  await deps.provePassword({ userId: pending.userId, password: options.password, meta });

  const link = async (transaction: Transaction) => {
    if (!(await consumePendingLink(transaction, { pending, now: clock.now() }))) throw linkInvalid();
    const outcome = await insertIdentity(transaction, {
      userId: pending.userId,
      provider,
      identity: { subject: pending.subject, email: pending.email, name: null },
      now: clock.now(),
    });
    if (outcome === 'other-account')
      throw new AppError('sso-identity-in-use', `This ${provider.name} account already signs in to another account.`);
  };

  const secondFactor = await deps.secondFactor.required(pending.userId);
  if (secondFactor.enrolled) {
    if (!options.proof) {
      throw new AppError('validation-failed', 'This account uses two-step verification: enter a code too.', {
        errors: [{ pointer: '/body/code', message: 'is required: the account has two-step verification' }],
      });
    }
    const verified = await verifySecondFactor({
      database,
      keyring,
      clock,
      userId: pending.userId,
      proof: options.proof,
      expect: 'confirmed',
      requestId: meta.requestId,
      actor: { ip: meta.ip, userAgent: meta.userAgent },
      // Linked in the transaction that accepts the code: a lost link does not burn the code.
      onAccepted: link,
    });
    if (!verified.ok) {
      audit.metadata({ reason: verified.reason });
      throw secondFactorError(verified, 'confirmed');
    }
  } else {
    await withPlatformTransaction(database, { userId: pending.userId, requestId: meta.requestId }, link);
  }

  const account = await withPlatformTransaction(
    database,
    { userId: pending.userId, requestId: meta.requestId },
    (transaction) => findAccountById({ transaction, userId: pending.userId }),
  );
  if (!account) throw linkInvalid();
  return signInAccount(deps, {
    account,
    amr: secondFactor.enrolled ? ['sso', 'pwd', 'otp'] : ['sso', 'pwd'],
    meta,
    audit,
    secondFactorProven: secondFactor.enrolled,
  });
}

async function consumePendingLink(
  transaction: Transaction,
  options: { pending: SsoPendingLinkRow; now: Date },
): Promise<boolean> {
  const consumed = await transaction
    .update(ssoPendingLinks)
    .set({ usedAt: options.now })
    .where(
      and(
        eq(ssoPendingLinks.id, options.pending.id),
        isNull(ssoPendingLinks.usedAt),
        gt(ssoPendingLinks.expiresAt, options.now),
      ),
    )
    .returning({ id: ssoPendingLinks.id });
  return consumed.length === 1;
}
