import { signAccessToken } from './access-token.ts';
import type { AuthenticationMethod } from '../identity-types.ts';
import type { SessionDependencies } from './session-dependencies.ts';
import type { TokenSubject } from './resolve-token-subject.ts';

/** Signs the access token of a session for the subject resolveTokenSubject read. */
export function issueAccessToken(
  dependencies: Pick<SessionDependencies, 'keys' | 'issuer'>,
  options: {
    session: { id: string; userId: string; amr: readonly string[]; secondFactorAt: Date | null };
    subject: TokenSubject;
    issuedAt: Date;
  },
): Promise<{ token: string; expiresAt: Date }> {
  const { session, subject } = options;
  return signAccessToken({
    keys: dependencies.keys,
    issuer: dependencies.issuer,
    issuedAt: options.issuedAt,
    claims: {
      userId: session.userId,
      sessionId: session.id,
      orgId: subject.orgId,
      role: subject.role,
      amr: session.amr as AuthenticationMethod[],
      secondFactorAt: session.secondFactorAt ? Math.floor(session.secondFactorAt.getTime() / 1000) : null,
    },
  });
}

/** Refresh tokens last SESSION_IDLE_LIFETIME_MS, but never beyond the session's absolute end. */
export function refreshTokenExpiry(now: Date, idleLifetimeMs: number, absoluteExpiresAt: Date): Date {
  return new Date(Math.min(now.getTime() + idleLifetimeMs, absoluteExpiresAt.getTime()));
}
