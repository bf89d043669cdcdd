import { and, eq } from 'drizzle-orm';
import type { AccountUser } from '../../../../contracts/identity.ts';
import { passwordCredentials } from '../../../platform/db/schema.ts';
import { withPlatformTransaction } from '../../../platform/db/tenant-transaction.ts';
import { AppError } from '../../../platform/errors/app-error.ts';
import type { IssuedTokens } from '../identity-types.ts';
import type { AccountContext, AuditedUnit, RequestMeta } from './account-context.ts';
import { takePasswordGuess } from './account-context.ts';
import { findAccountByEmail } from './find-account.ts';
import { normaliseEmail } from './normalise-email.ts';

export type SignInResult =
  | { kind: 'session'; tokens: IssuedTokens; user: AccountUser }
  | { kind: 'second-factor'; challengeToken: string; expiresAt: Date; enrolmentRequired: boolean };

const INVALID = 'The email or password is not right.';

/**
 * Password sign-in. Every attempt costs one bcrypt comparison — against a dummy hash when the
 * email is unknown or has no password — and ends in the same `invalid-credentials` answer, so
 * neither the answer nor its timing says which emails have accounts. Only after a correct
 * password does the answer say more: `account-suspended` (checked first: suspension cannot be
 * bypassed by any path that reaches a session) or `email-not-verified`. Attempts are limited per
 * IP and per email; a correct password gives its attempt back.
 */
export async function signIn(options: {
  context: AccountContext;
  email: string;
  password: string;
  meta: RequestMeta;
  audit: Pick<AuditedUnit['audit'], 'actor' | 'metadata'>;
}): Promise<SignInResult> {
  const { context, meta, audit } = options;
  const emailKey = normaliseEmail(options.email);
  const guess = takePasswordGuess({ context, emailNormalised: emailKey, ip: meta.ip });

  const scope = { userId: null, requestId: meta.requestId };
  const account = await withPlatformTransaction(context.database, scope, (transaction) =>
    findAccountByEmail({ transaction, emailNormalised: emailKey }),
  );
  // The owner's audit trail records failed attempts on their account.
  if (account) audit.actor(account.id);
  const passwordIsRight = await context.hasher.verify({
    password: options.password,
    hash: account?.passwordHash ?? null,
  });
  if (!account || !account.passwordHash || !passwordIsRight) throw new AppError('invalid-credentials', INVALID);

  guess.refund();
  if (context.hasher.needsRehash(account.passwordHash)) {
    await rehashPassword({
      context,
      userId: account.id,
      oldHash: account.passwordHash,
      password: options.password,
      meta,
    });
  }
  if (account.suspendedAt)
    throw new AppError('account-suspended', 'This account is suspended; contact your administrator.');
  if (!account.emailVerifiedAt) {
    throw new AppError(
      'email-not-verified',
      'Verify your email address first: follow the link we sent you, or ask for a new one.',
    );
  }

  const secondFactor = await context.secondFactor.required(account.id);
  if (secondFactor.required) {
    const challenge = await context.secondFactor.createChallenge({
      userId: account.id,
      ip: meta.ip,
      userAgent: meta.userAgent,
    });
    audit.metadata({ secondFactor: 'required' });
    return { kind: 'second-factor', ...challenge, enrolmentRequired: !secondFactor.enrolled };
  }
  const tokens = await context.startSession({
    userId: account.id,
    amr: ['pwd'],
    ip: meta.ip,
    userAgent: meta.userAgent,
  });
  audit.metadata({ sessionId: tokens.sessionId });
  return {
    kind: 'session',
    tokens,
    user: {
      id: account.id,
      email: account.email,
      displayName: account.displayName,
      emailVerified: true,
      platformAdmin: account.platformAdmin,
    },
  };
}

/**
 * Upgrades a hash made at a lower cost than configured, now that the password is at hand.
 * Compare-and-swap on the old hash: a password changed meanwhile is not overwritten.
 */
async function rehashPassword(options: {
  context: AccountContext;
  userId: string;
  oldHash: string;
  password: string;
  meta: RequestMeta;
}): Promise<void> {
  const { context } = options;
  const passwordHash = await context.hasher.hash(options.password);
  await withPlatformTransaction(
    context.database,
    { userId: options.userId, requestId: options.meta.requestId },
    (transaction) =>
      transaction
        .update(passwordCredentials)
        .set({ passwordHash, updatedAt: context.clock.now() })
        .where(
          and(eq(passwordCredentials.userId, options.userId), eq(passwordCredentials.passwordHash, options.oldHash)),
        ),
  );
}
