import { randomBytes } from 'node:crypto';
import { and, eq, gt, isNull } from 'drizzle-orm';
import type { AccountUser } from '../../../../contracts/identity.ts';
import type { SsoProvider } from '../../../../contracts/sso.ts';
import type { SsoProviderConfig } from '../../../config.ts';
import type { Transaction } from '../../../platform/db/database.ts';
import { newId } from '../../../platform/db/ids.ts';
import { transactionQuery } from '../../../platform/db/query-rows.ts';
import { users } from '../../../platform/db/schema.ts';
import { withPlatformTransaction } from '../../../platform/db/tenant-transaction.ts';
import { AppError } from '../../../platform/errors/app-error.ts';
import { appendAuditEvent } from '../../audit/append-audit-event.ts';
import { type Account, findAccountByEmail, findAccountById } from '../accounts/find-account.ts';
import { normaliseEmail } from '../accounts/normalise-email.ts';
import type { IssuedTokens } from '../identity-types.ts';
import { exchangeAuthorizationCode, type VerifiedSsoIdentity } from './exchange-authorization-code.ts';
import {
  codeVerifierPlace,
  noncePlace,
  SSO_PENDING_LINK_MS,
  type SsoDependencies,
  sha256Hex,
} from './sso-dependencies.ts';
import { type SsoAttemptRow, ssoAttempts, ssoPendingLinks, userIdentities } from './sso-tables.ts';

export type SsoRequestMeta = { requestId: string; ip: string | null; userAgent: string | null };

/** The route's audit draft (ctx.audit). */
export type SsoAudit = {
  actor(userId: string): void;
  target(type: string, id: string): void;
  metadata(values: Record<string, unknown>): void;
};

/** Where an SSO sign-in ended up (after the provider's answer, or after the pending-link proof). */
export type SsoSignInOutcome =
  | { kind: 'session'; tokens: IssuedTokens; user: AccountUser }
  | { kind: 'second-factor'; challengeToken: string; expiresAt: Date; enrolmentRequired: boolean; email: string }
  | {
      kind: 'link-required';
      linkToken: string;
      expiresAt: Date;
      email: string;
      provider: SsoProvider;
      hasPassword: boolean;
      secondFactorRequired: boolean;
    }
  | { kind: 'linked'; provider: SsoProvider };

/**
 * The provider redirected the browser back (`search` = its query string). Consumes the attempt
 * (single use, unexpired, started by this browser), redeems the code, validates the ID token and
 * then:
 * - an identity already linked signs its account in (through MFA when the account has it);
 * - from the security page (`link_user_id`) it is linked to the signed-in account;
 * - an email nobody has creates a verified account without a password and signs it in;
 * - an email an account already has parks a pending link: nobody is signed in and nothing is
 *   linked until that account proves control with its password (and MFA), audited as a refused
 *   takeover.
 */
export async function completeSsoLogin(
  deps: SsoDependencies,
  options: {
    providerId: string;
    search: string;
    browserBinding: string | null;
    meta: SsoRequestMeta;
    audit: SsoAudit;
  },
): Promise<SsoSignInOutcome> {
  const { providers, clock, database, keyring } = deps;
  const { meta, audit } = options;
  const provider = providers.find(options.providerId);
  audit.metadata({ provider: provider.id });
  const params = new URLSearchParams(options.search.startsWith('?') ? options.search.slice(1) : options.search);
  const state = params.get('state');
  if (!state || !options.browserBinding) throw stateInvalid();

  // Consumed before the code is redeemed: a replayed or concurrent callback finds nothing.
  const attempt = await withPlatformTransaction(database, { userId: null, requestId: meta.requestId }, (transaction) =>
    consumeAttempt(transaction, {
      providerId: provider.id,
      stateHash: sha256Hex(state),
      bindingHash: sha256Hex(options.browserBinding ?? ''),
      now: clock.now(),
    }),
  );
  if (!attempt) throw stateInvalid();
  if (attempt.linkUserId) audit.actor(attempt.linkUserId);

  const callbackUrl = new URL(attempt.redirectUri);
  callbackUrl.search = params.toString();
  const identity = await exchangeAuthorizationCode({
    providers,
    provider,
    callbackUrl,
    state,
    nonce: await keyring.openText(attempt.nonceSealed, noncePlace(attempt.id)),
    codeVerifier: await keyring.openText(attempt.codeVerifierSealed, codeVerifierPlace(attempt.id)),
  });

  if (attempt.linkUserId) {
    await linkIdentity(deps, { userId: attempt.linkUserId, provider, identity, meta });
    audit.target('user', attempt.linkUserId);
    audit.metadata({ result: 'linked' });
    return { kind: 'linked', provider: providers.describe(provider) };
  }
  const resolved = await resolveAccount(deps, { provider, identity, meta });
  audit.actor(resolved.account.id);
  audit.target('user', resolved.account.id);
  if (resolved.kind === 'email-taken') {
    audit.metadata({ result: 'link-required' });
    return parkPendingLink(deps, { provider, identity, account: resolved.account, meta });
  }
  audit.metadata({ result: resolved.kind === 'created' ? 'account-created' : 'signed-in' });
  return signInAccount(deps, { account: resolved.account, amr: ['sso'], meta, audit });
}

function stateInvalid(): AppError {
  return new AppError(
    'sso-state-invalid',
    'This sign-in was not started in this browser, has expired or was already used. Start again.',
  );
}

async function consumeAttempt(
  transaction: Transaction,
  options: { providerId: string; stateHash: string; bindingHash: string; now: Date },
): Promise<SsoAttemptRow | null> {
  const [row] = await transaction
    .update(ssoAttempts)
    .set({ usedAt: options.now })
    .where(
      and(
        eq(ssoAttempts.stateHash, options.stateHash),
        eq(ssoAttempts.provider, options.providerId),
        // Login CSRF: the attempt must have been started by the browser presenting its answer.
        eq(ssoAttempts.browserBindingHash, options.bindingHash),
        isNull(ssoAttempts.usedAt),
        gt(ssoAttempts.expiresAt, options.now),
      ),
    )
    .returning();
  return row ?? null;
}

/** Links an identity to a signed-in account (security page). An identity belongs to one account. */
async function linkIdentity(
  deps: SsoDependencies,
  options: { userId: string; provider: SsoProviderConfig; identity: VerifiedSsoIdentity; meta: SsoRequestMeta },
): Promise<void> {
  const { userId, provider, identity, meta } = options;
  const now = deps.clock.now();
  await withPlatformTransaction(deps.database, { userId, requestId: meta.requestId }, async (transaction) => {
    const inserted = await insertIdentity(transaction, { userId, provider, identity, now });
    if (inserted === 'other-account') {
      throw new AppError('sso-identity-in-use', `This ${provider.name} account already signs in to another account.`);
    }
    if (inserted === 'linked')
      await appendAuditEvent(transactionQuery(transaction), {
        orgId: null,
        actor: { userId, role: null, ip: meta.ip, userAgent: meta.userAgent },
        action: 'sso.identity_linked',
        outcome: 'success',
        target: { type: 'user', id: userId },
        metadata: { provider: provider.id, via: 'security-page' },
        requestId: meta.requestId,
        occurredAt: now,
      });
  });
}

/**
 * Inserts the (provider, subject) link for `userId`: 'linked', 'already' (this account has it) or
 * 'other-account' (someone else's; nothing changed).
 */
export async function insertIdentity(
  transaction: Transaction,
  options: { userId: string; provider: SsoProviderConfig; identity: VerifiedSsoIdentity; now: Date },
): Promise<'linked' | 'already' | 'other-account'> {
  const { provider, identity, now } = options;
  const [inserted] = await transaction
    .insert(userIdentities)
    .values({
      id: newId(),
      userId: options.userId,
      provider: provider.id,
      subject: identity.subject,
      email: identity.email,
      createdAt: now,
      lastUsedAt: now,
    })
    .onConflictDoNothing({ target: [userIdentities.provider, userIdentities.subject] })
    .returning({ id: userIdentities.id });
  if (inserted) return 'linked';
  const [existing] = await transaction
    .select({ userId: userIdentities.userId })
    .from(userIdentities)
    .where(and(eq(userIdentities.provider, provider.id), eq(userIdentities.subject, identity.subject)));
  return existing?.userId === options.userId ? 'already' : 'other-account';
}

type ResolvedAccount = { kind: 'linked' | 'created'; account: Account } | { kind: 'email-taken'; account: Account };

/** The account an identity signs in to: its link, a new account, or (email taken) none yet. */
async function resolveAccount(
  deps: SsoDependencies,
  options: { provider: SsoProviderConfig; identity: VerifiedSsoIdentity; meta: SsoRequestMeta },
): Promise<ResolvedAccount> {
  const { provider, identity, meta } = options;
  const now = deps.clock.now();
  return withPlatformTransaction(deps.database, { userId: null, requestId: meta.requestId }, async (transaction) => {
    const [link] = await transaction
      .update(userIdentities)
      .set({ lastUsedAt: now })
      .where(and(eq(userIdentities.provider, provider.id), eq(userIdentities.subject, identity.subject)))
      .returning({ userId: userIdentities.userId });
    if (link) {
      const account = await findAccountById({ transaction, userId: link.userId });
      if (!account) throw new AppError('unauthenticated', 'This account cannot sign in.');
      return { kind: 'linked', account };
    }
    const emailNormalised = normaliseEmail(identity.email);
    const userId = newId();
    const [created] = await transaction
      .insert(users)
      .values({
        id: userId,
        email: identity.email,
        emailNormalised,
        displayName: identity.name,
        // The provider vouched for the address (email_verified); no mail round-trip needed.
        emailVerifiedAt: now,
        tokensValidAfter: now,
        createdAt: now,
        updatedAt: now,
      })
      // The email belongs to an account already (or one was created concurrently): no takeover.
      .onConflictDoNothing({ target: users.emailNormalised })
      .returning({ id: users.id });
    if (!created) {
      const account = await findAccountByEmail({ transaction, emailNormalised });
      if (!account) throw new AppError('conflict', 'Try again.');
      return { kind: 'email-taken', account };
    }
    await transaction.insert(userIdentities).values({
      id: newId(),
      userId,
      provider: provider.id,
      subject: identity.subject,
      email: identity.email,
      createdAt: now,
      lastUsedAt: now,
    });
    await appendAuditEvent(transactionQuery(transaction), {
      orgId: null,
      actor: { userId, role: null, ip: meta.ip, userAgent: meta.userAgent },
      action: 'account.signed_up',
      outcome: 'success',
      target: { type: 'user', id: userId },
      metadata: { method: 'sso', provider: provider.id },
      requestId: meta.requestId,
      occurredAt: now,
    });
    const account = await findAccountById({ transaction, userId });
    if (!account) throw new Error('the account just created is missing');
    return { kind: 'created', account };
  });
}

/**
 * The identity's email belongs to an existing account that has no link for it. Records a pending
 * link (token hashed, 10 minutes, single use) and audits the refused takeover; the account's
 * owner completes it with their password (and MFA) — anyone else cannot.
 */
async function parkPendingLink(
  deps: SsoDependencies,
  options: { provider: SsoProviderConfig; identity: VerifiedSsoIdentity; account: Account; meta: SsoRequestMeta },
): Promise<SsoSignInOutcome> {
  const { provider, identity, account, meta } = options;
  const now = deps.clock.now();
  const linkToken = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + SSO_PENDING_LINK_MS);
  await withPlatformTransaction(
    deps.database,
    { userId: account.id, requestId: meta.requestId },
    async (transaction) => {
      await transaction.insert(ssoPendingLinks).values({
        id: newId(),
        tokenHash: sha256Hex(linkToken),
        userId: account.id,
        provider: provider.id,
        subject: identity.subject,
        email: identity.email,
        createdAt: now,
        expiresAt,
      });
      await appendAuditEvent(transactionQuery(transaction), {
        orgId: null,
        actor: { userId: account.id, role: null, ip: meta.ip, userAgent: meta.userAgent },
        action: 'sso.takeover_refused',
        outcome: 'denied',
        target: { type: 'user', id: account.id },
        metadata: {
          provider: provider.id,
          reason: 'email matches an account without this identity: password proof required',
        },
        requestId: meta.requestId,
        occurredAt: now,
      });
    },
  );
  const secondFactor = await deps.secondFactor.required(account.id);
  return {
    kind: 'link-required',
    linkToken,
    expiresAt,
    email: account.email,
    provider: deps.providers.describe(provider),
    hasPassword: account.passwordHash !== null,
    secondFactorRequired: secondFactor.enrolled,
  };
}

/**
 * Signs an account in after SSO, exactly as after a password: suspension refused, then the MFA
 * challenge (verify, or enrolment-only for a platform admin without MFA) when required, else a
 * session with the given amr.
 */
export async function signInAccount(
  deps: SsoDependencies,
  options: {
    account: Account;
    amr: ('sso' | 'pwd' | 'otp')[];
    meta: SsoRequestMeta;
    audit: SsoAudit;
    /** The second factor was already proven in this request (pending-link proof with a code). */
    secondFactorProven?: boolean;
  },
): Promise<SsoSignInOutcome> {
  const { account, meta, audit } = options;
  if (account.suspendedAt)
    throw new AppError('account-suspended', 'This account is suspended; contact your administrator.');
  const secondFactor = await deps.secondFactor.required(account.id);
  if (secondFactor.required && !(options.secondFactorProven && secondFactor.enrolled)) {
    const challenge = await deps.secondFactor.createChallenge({
      userId: account.id,
      ip: meta.ip,
      userAgent: meta.userAgent,
      firstFactor: 'sso',
    });
    audit.metadata({ secondFactor: 'required' });
    return { kind: 'second-factor', ...challenge, enrolmentRequired: !secondFactor.enrolled, email: account.email };
  }
  const tokens = await deps.startSession({
    userId: account.id,
    amr: options.amr,
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
      emailVerified: account.emailVerifiedAt !== null,
      platformAdmin: account.platformAdmin,
    },
  };
}
