import { AppError } from '../../../platform/errors/app-error.ts';
import { newId } from '../../../platform/db/ids.ts';
import { withPlatformTransaction } from '../../../platform/db/tenant-transaction.ts';
import type { AuthenticationMethod, SessionStartInput } from '../identity-types.ts';
import { issueAccessToken, refreshTokenExpiry } from './issue-access-token.ts';
import { createOpaqueToken, hashOpaqueToken } from './opaque-token.ts';
import { resolveTokenSubject } from './resolve-token-subject.ts';
import type { SessionTokens } from './session-cookies.ts';
import type { SessionDependencies } from './session-dependencies.ts';
import { SESSION_ABSOLUTE_LIFETIME_MS, SESSION_IDLE_LIFETIME_MS } from './session-lifetimes.ts';
import { refreshTokens, sessions } from './session-tables.ts';

export function csrfSealPlace(sessionId: string) {
  return { table: 'sessions', column: 'csrf_token', rowId: sessionId, orgId: null };
}

const AMR_ORDER: readonly AuthenticationMethod[] = ['pwd', 'sso', 'otp'];

/** The methods, deduplicated, in a stable order. */
export function normaliseAmr(amr: readonly string[]): AuthenticationMethod[] {
  return AMR_ORDER.filter((method) => amr.includes(method));
}

/** Truncated to the column limits: these are informational and client-controlled. */
export function clientDetails(input: { ip: string | null; userAgent: string | null }) {
  return { ip: input.ip?.slice(0, 64) ?? null, userAgent: input.userAgent?.slice(0, 512) ?? null };
}

/**
 * The StartSession seam: after a successful sign-in (password, SSO, MFA completion), creates a
 * session — one refresh-token family, valid for 30 days at most — and its first tokens. Callers
 * have already checked the credentials; a suspended or missing user is refused here anyway.
 */
export async function startSession(
  dependencies: SessionDependencies,
  input: SessionStartInput,
): Promise<SessionTokens> {
  const { database, keyring, clock } = dependencies;
  const amr = normaliseAmr(input.amr);
  if (amr.length === 0) throw new Error('startSession needs at least one authentication method');
  const now = clock.now();
  const sessionId = newId();
  const csrfToken = createOpaqueToken();
  const refreshToken = createOpaqueToken();
  const absoluteExpiresAt = new Date(now.getTime() + SESSION_ABSOLUTE_LIFETIME_MS);
  const refreshTokenExpiresAt = refreshTokenExpiry(now, SESSION_IDLE_LIFETIME_MS, absoluteExpiresAt);
  const sealedCsrf = await keyring.seal(csrfToken, csrfSealPlace(sessionId));
  const secondFactorAt = amr.includes('otp') ? now : null;

  const subject = await withPlatformTransaction(
    database,
    { userId: input.userId, requestId: '' },
    async (transaction) => {
      const resolved = await resolveTokenSubject(transaction, {
        userId: input.userId,
        orgId: input.orgId ?? null,
        amr,
      });
      if (!resolved || resolved.suspended) throw new AppError('unauthenticated', 'This account cannot sign in.');
      if (input.orgId && resolved.orgId !== input.orgId && !(resolved.platformAdmin && !amr.includes('otp'))) {
        throw new AppError('not-found', 'You are not a member of that organisation.');
      }
      await transaction.insert(sessions).values({
        id: sessionId,
        userId: input.userId,
        currentOrgId: resolved.orgId ?? input.orgId ?? null,
        amr,
        secondFactorAt,
        csrfToken: sealedCsrf,
        ...clientDetails(input),
        createdAt: now,
        lastUsedAt: now,
        absoluteExpiresAt,
      });
      await transaction.insert(refreshTokens).values({
        id: newId(),
        sessionId,
        parentId: null,
        tokenHash: hashOpaqueToken(refreshToken),
        createdAt: now,
        expiresAt: refreshTokenExpiresAt,
      });
      return resolved;
    },
  );

  const access = await issueAccessToken(dependencies, {
    session: { id: sessionId, userId: input.userId, amr, secondFactorAt },
    subject,
    issuedAt: now,
  });
  return {
    sessionId,
    accessToken: access.token,
    accessTokenExpiresAt: access.expiresAt,
    refreshToken,
    refreshTokenExpiresAt,
    csrfToken,
  };
}
