import { and, eq, isNull } from 'drizzle-orm';
import { AppError } from '../../../platform/errors/app-error.ts';
import { newId } from '../../../platform/db/ids.ts';
import { withPlatformTransaction } from '../../../platform/db/tenant-transaction.ts';
import { issueAccessToken, refreshTokenExpiry } from './issue-access-token.ts';
import { createOpaqueToken, hashOpaqueToken } from './opaque-token.ts';
import { successorSealPlace } from './refresh-session.ts';
import { resolveTokenSubject } from './resolve-token-subject.ts';
import type { SessionTokens } from './session-cookies.ts';
import type { SessionDependencies } from './session-dependencies.ts';
import { SESSION_IDLE_LIFETIME_MS } from './session-lifetimes.ts';
import { refreshTokens, sessions } from './session-tables.ts';
import { csrfSealPlace, normaliseAmr } from './start-session.ts';

const ENDED = () => new AppError('unauthenticated', 'The session has ended; sign in again.');

/**
 * The RecordSecondFactor seam (MFA sign-in completion, step-up): adds `otp` to the session's
 * methods, stamps the time (step-up-protected actions check it), and re-issues its tokens. The
 * refresh token rotates like a refresh — the previous one gets the usual grace window — so the
 * new access token can be delivered with a refresh token that carries the same session state.
 */
export async function recordSecondFactor(
  dependencies: SessionDependencies,
  options: { sessionId: string },
): Promise<SessionTokens> {
  const { database, keyring, clock } = dependencies;
  // A concurrent refresh may replace the live token between the look-up and the lock: retry.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const now = clock.now();
    const [live] = await database.orm
      .select({ tokenId: refreshTokens.id, csrfToken: sessions.csrfToken })
      .from(sessions)
      .innerJoin(refreshTokens, and(eq(refreshTokens.sessionId, sessions.id), isNull(refreshTokens.usedAt)))
      .where(eq(sessions.id, options.sessionId));
    if (!live) throw ENDED();
    const successor = createOpaqueToken();
    const sealedSuccessor = await keyring.seal(successor, successorSealPlace(live.tokenId));

    const locked = await withPlatformTransaction(database, { userId: null, requestId: '' }, async (transaction) => {
      const [session] = await transaction
        .select()
        .from(sessions)
        .where(eq(sessions.id, options.sessionId))
        .for('update');
      if (!session || session.revokedAt || session.absoluteExpiresAt <= now) throw ENDED();
      const [token] = await transaction
        .select()
        .from(refreshTokens)
        .where(and(eq(refreshTokens.sessionId, session.id), isNull(refreshTokens.usedAt)))
        .for('update');
      if (!token || token.expiresAt <= now) throw ENDED();
      if (token.id !== live.tokenId) return null;
      const amr = normaliseAmr([...session.amr, 'otp']);
      const subject = await resolveTokenSubject(transaction, {
        userId: session.userId,
        orgId: session.currentOrgId,
        amr,
      });
      if (!subject || subject.suspended) throw ENDED();
      const expiresAt = refreshTokenExpiry(now, SESSION_IDLE_LIFETIME_MS, session.absoluteExpiresAt);
      const successorId = newId();
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
      const [updated] = await transaction
        .update(sessions)
        .set({ amr, secondFactorAt: now, lastUsedAt: now, ...(subject.orgId ? { currentOrgId: subject.orgId } : {}) })
        .where(eq(sessions.id, session.id))
        .returning();
      return { session: updated ?? session, subject, expiresAt };
    });
    if (!locked) continue;

    const access = await issueAccessToken(dependencies, {
      session: locked.session,
      subject: locked.subject,
      issuedAt: now,
    });
    return {
      sessionId: locked.session.id,
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken: successor,
      refreshTokenExpiresAt: locked.expiresAt,
      csrfToken: await keyring.openText(live.csrfToken, csrfSealPlace(locked.session.id)),
    };
  }
  throw new AppError('conflict', 'The session was refreshed at the same moment; retry.');
}
