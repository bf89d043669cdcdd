import { eq } from 'drizzle-orm';
import type { Transaction } from '../../../platform/db/database.ts';
import { transactionQuery } from '../../../platform/db/query-rows.ts';
import { newId } from '../../../platform/db/ids.ts';
import { actAsUserInTransaction, withPlatformTransaction } from '../../../platform/db/tenant-transaction.ts';
import { appendAuditEvent } from '../../audit/append-audit-event.ts';
import { issueAccessToken, refreshTokenExpiry } from './issue-access-token.ts';
import { createOpaqueToken, hashOpaqueToken, opaqueTokensEqual } from './opaque-token.ts';
import { resolveTokenSubject, type TokenSubject } from './resolve-token-subject.ts';
import type { SessionTokens } from './session-cookies.ts';
import type { SessionDependencies } from './session-dependencies.ts';
import { REFRESH_REUSE_GRACE_MS, SESSION_IDLE_LIFETIME_MS } from './session-lifetimes.ts';
import { refreshTokens, type SessionRow, sessions } from './session-tables.ts';
import { clientDetails, csrfSealPlace, normaliseAmr } from './start-session.ts';

export function successorSealPlace(parentTokenId: string) {
  return { table: 'refresh_tokens', column: 'successor_token', rowId: parentTokenId, orgId: null };
}

export type RefreshInput = {
  refreshToken: string;
  /** Cookie sessions: the `x-csrf-token` header, which must match the session's token. null: bearer. */
  csrf: { presented: string | null } | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string;
};

export type RefreshOutcome =
  /** `replayed`: the grace window gave the immediate parent the current token back. */
  | { kind: 'refreshed'; tokens: SessionTokens; userId: string; replayed: boolean }
  | { kind: 'invalid'; reason: 'unknown' | 'expired' | 'ended' | 'suspended' }
  | { kind: 'csrf-failed' }
  /** A used token came back outside the grace window: the session was revoked and audited. */
  | { kind: 'reused'; sessionId: string; userId: string };

type LockedOutcome =
  | { kind: 'rotated'; session: SessionRow; subject: TokenSubject; refreshToken: string; expiresAt: Date }
  | {
      kind: 'grace';
      session: SessionRow;
      subject: TokenSubject;
      sealedSuccessor: string;
      successorParentId: string;
      expiresAt: Date;
    }
  | Exclude<RefreshOutcome, { kind: 'refreshed' | 'csrf-failed' }>;

export const REUSE_AUDIT_ACTION = 'session.refresh_token_reused';
export const REUSE_REVOKED_REASON = 'refresh_token_reuse';

/**
 * Exchanges a refresh token for a new one and a new access token. The rotation is a
 * compare-and-swap under the session's row lock: of two concurrent refreshes with one token,
 * the first marks it used and mints its successor; the second then finds it used. Within
 * REFRESH_REUSE_GRACE_MS the second (a client retrying after a lost response) gets that same
 * successor back — never a second one, so the family cannot fork. Any other use of a used token
 * is theft or a bug: the session is revoked, which kills its refresh token and (checked per
 * request) its access tokens, and the event is audited on the platform chain.
 */
export async function refreshSession(dependencies: SessionDependencies, input: RefreshInput): Promise<RefreshOutcome> {
  const { database, keyring, clock } = dependencies;
  const now = clock.now();
  const tokenHash = hashOpaqueToken(input.refreshToken);

  // Unlocked look-up first: the CSRF check and sealing need the keyring, which must not run
  // inside a transaction (the embedded database has one session, so a nested query would wait
  // for the transaction forever). The session's CSRF token never changes, so checking it before
  // taking the lock is sound; everything else is re-read under the lock.
  const [found] = await database.orm
    .select({ tokenId: refreshTokens.id, sessionId: refreshTokens.sessionId, csrfToken: sessions.csrfToken })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .where(eq(refreshTokens.tokenHash, tokenHash));
  if (!found) return { kind: 'invalid', reason: 'unknown' };
  const csrfToken = await keyring.openText(found.csrfToken, csrfSealPlace(found.sessionId));
  if (input.csrf && (input.csrf.presented === null || !opaqueTokensEqual(input.csrf.presented, csrfToken))) {
    return { kind: 'csrf-failed' };
  }
  const successor = createOpaqueToken();
  const sealedSuccessor = await keyring.seal(successor, successorSealPlace(found.tokenId));

  const locked = await withPlatformTransaction(
    database,
    { userId: null, requestId: input.requestId },
    async (transaction): Promise<LockedOutcome> => {
      // Lock order everywhere: session, then its tokens.
      const [session] = await transaction.select().from(sessions).where(eq(sessions.id, found.sessionId)).for('update');
      const [token] = await transaction
        .select()
        .from(refreshTokens)
        .where(eq(refreshTokens.id, found.tokenId))
        .for('update');
      if (!session || !token) return { kind: 'invalid', reason: 'unknown' };
      if (session.revokedAt) return { kind: 'invalid', reason: 'ended' };
      if (session.absoluteExpiresAt <= now) return { kind: 'invalid', reason: 'expired' };

      if (token.usedAt === null) {
        if (token.expiresAt <= now) return { kind: 'invalid', reason: 'expired' };
        const subject = await resolveTokenSubject(transaction, {
          userId: session.userId,
          orgId: session.currentOrgId,
          amr: normaliseAmr(session.amr),
        });
        if (!subject) return { kind: 'invalid', reason: 'ended' };
        if (subject.suspended) return { kind: 'invalid', reason: 'suspended' };
        // Platform admins must use MFA on every path, also for a session that predates the flag.
        if (subject.platformAdmin && !normaliseAmr(session.amr).includes('otp'))
          return { kind: 'invalid', reason: 'ended' };
        const expiresAt = refreshTokenExpiry(now, SESSION_IDLE_LIFETIME_MS, session.absoluteExpiresAt);
        const successorId = newId();
        // The grandparent no longer needs its copy of the token it handed on: that token is used now.
        if (token.parentId) {
          await transaction
            .update(refreshTokens)
            .set({ successorToken: null })
            .where(eq(refreshTokens.id, token.parentId));
        }
        await transaction
          .update(refreshTokens)
          .set({ usedAt: now, successorId, successorToken: sealedSuccessor })
          .where(eq(refreshTokens.id, token.id));
        await transaction.insert(refreshTokens).values({
          id: successorId,
          sessionId: session.id,
          parentId: token.id,
          tokenHash: hashOpaqueToken(successor),
          createdAt: now,
          expiresAt,
        });
        const updated = await rememberUse(transaction, session, subject, input, now);
        return { kind: 'rotated', session: updated, subject, refreshToken: successor, expiresAt };
      }

      // A used token. Only the immediate parent of the live token, within the grace window, gets
      // the live token back.
      const [child] = token.successorId
        ? await transaction.select().from(refreshTokens).where(eq(refreshTokens.id, token.successorId)).for('update')
        : [];
      const withinGrace =
        now.getTime() - token.usedAt.getTime() <= REFRESH_REUSE_GRACE_MS &&
        token.successorToken !== null &&
        child !== undefined &&
        child.usedAt === null &&
        child.expiresAt > now;
      if (withinGrace) {
        const subject = await resolveTokenSubject(transaction, {
          userId: session.userId,
          orgId: session.currentOrgId,
          amr: normaliseAmr(session.amr),
        });
        if (!subject) return { kind: 'invalid', reason: 'ended' };
        if (subject.suspended) return { kind: 'invalid', reason: 'suspended' };
        const updated = await rememberUse(transaction, session, subject, input, now);
        return {
          kind: 'grace',
          session: updated,
          subject,
          sealedSuccessor: token.successorToken as string,
          successorParentId: token.id,
          expiresAt: child.expiresAt,
        };
      }

      await revokeForReuse(transaction, session, input, now, token.usedAt);
      return { kind: 'reused', sessionId: session.id, userId: session.userId };
    },
  );

  // Reuse revoked the session: its access tokens must stop at once, also where cached.
  if (locked.kind === 'reused') dependencies.cache?.invalidate({ sessionId: locked.sessionId });
  if (locked.kind !== 'rotated' && locked.kind !== 'grace') return locked;
  const refreshToken =
    locked.kind === 'rotated'
      ? locked.refreshToken
      : await keyring.openText(locked.sealedSuccessor, successorSealPlace(locked.successorParentId));
  const access = await issueAccessToken(dependencies, {
    session: locked.session,
    subject: locked.subject,
    issuedAt: now,
  });
  return {
    kind: 'refreshed',
    userId: locked.session.userId,
    replayed: locked.kind === 'grace',
    tokens: {
      sessionId: locked.session.id,
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken,
      refreshTokenExpiresAt: locked.expiresAt,
      csrfToken,
    },
  };
}

async function rememberUse(
  transaction: Transaction,
  session: SessionRow,
  subject: TokenSubject,
  input: RefreshInput,
  now: Date,
): Promise<SessionRow> {
  const [updated] = await transaction
    .update(sessions)
    .set({
      lastUsedAt: now,
      ...clientDetails(input),
      // Remember the organisation a first-membership pick chose, so the next refresh keeps it.
      ...(subject.orgId ? { currentOrgId: subject.orgId } : {}),
    })
    .where(eq(sessions.id, session.id))
    .returning();
  return updated ?? session;
}

async function revokeForReuse(
  transaction: Transaction,
  session: SessionRow,
  input: RefreshInput,
  now: Date,
  usedAt: Date,
): Promise<void> {
  await transaction
    .update(sessions)
    .set({ revokedAt: now, revokedReason: REUSE_REVOKED_REASON })
    .where(eq(sessions.id, session.id));
  // No live token may stay recoverable for a session that is over.
  await transaction.update(refreshTokens).set({ successorToken: null }).where(eq(refreshTokens.sessionId, session.id));
  await actAsUserInTransaction(transaction, session.userId);
  await appendAuditEvent(transactionQuery(transaction), {
    orgId: null,
    actor: { userId: session.userId, role: null, ip: input.ip, userAgent: input.userAgent },
    action: REUSE_AUDIT_ACTION,
    outcome: 'denied',
    target: { type: 'session', id: session.id },
    metadata: {
      // How long after its first use the token came back: seconds suggest a retry bug, days theft.
      secondsSinceFirstUse: Math.round((now.getTime() - usedAt.getTime()) / 1000),
      sessionCreatedAt: session.createdAt.toISOString(),
      sessionIp: session.ip,
    },
    requestId: input.requestId,
    occurredAt: now,
  });
}
