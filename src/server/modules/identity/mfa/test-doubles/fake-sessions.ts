import { randomBytes } from 'node:crypto';
import type { Authenticator, Caller } from '../../../../platform/authz/caller.ts';
import type { Clock } from '../../../../platform/clock.ts';
import type { Database } from '../../../../platform/db/database.ts';
import { newId } from '../../../../platform/db/ids.ts';
import { AppError } from '../../../../platform/errors/app-error.ts';
import type {
  AuthenticationMethod,
  IssuedTokens,
  RecordSecondFactor,
  RevokeAllSessions,
  SessionStartInput,
  SetSessionCookies,
  StartSession,
} from '../../identity-types.ts';
import { requireStepUp } from '../require-step-up.ts';

export type FakeSession = {
  id: string;
  userId: string;
  amr: AuthenticationMethod[];
  otpAt: Date | null;
  revoked: boolean;
};

/**
 * Test double of the sessions module, behind the same seams mfa/ consumes: sessions live in
 * memory, access tokens are opaque `fake-access-…` strings, and every call is recorded so tests
 * can assert what mfa/ asked for. Test-only.
 */
export function createFakeSessions(options: { database: Database; clock: Clock }) {
  const { database, clock } = options;
  const sessions = new Map<string, FakeSession>();
  const sessionByAccessToken = new Map<string, string>();
  const started: SessionStartInput[] = [];
  const revocations: Parameters<RevokeAllSessions>[0][] = [];
  const recorded: string[] = [];

  function issue(session: FakeSession): IssuedTokens {
    const accessToken = `fake-access-${randomBytes(16).toString('hex')}`;
    sessionByAccessToken.set(accessToken, session.id);
    const now = clock.now().getTime();
    return {
      sessionId: session.id,
      accessToken,
      accessTokenExpiresAt: new Date(now + 10 * 60 * 1000),
      refreshToken: `fake-refresh-${randomBytes(16).toString('hex')}`,
      refreshTokenExpiresAt: new Date(now + 30 * 24 * 60 * 60 * 1000),
    };
  }

  const startSession: StartSession = async (input) => {
    started.push(input);
    const session: FakeSession = {
      id: newId(),
      userId: input.userId,
      amr: [...input.amr],
      otpAt: input.amr.includes('otp') ? clock.now() : null,
      revoked: false,
    };
    sessions.set(session.id, session);
    return issue(session);
  };

  const setSessionCookies: SetSessionCookies = (reply, tokens) => {
    void reply.setCookie('vigil_access', tokens.accessToken, { httpOnly: true, sameSite: 'strict', path: '/' });
  };

  const recordSecondFactor: RecordSecondFactor = async ({ sessionId }) => {
    recorded.push(sessionId);
    const session = sessions.get(sessionId);
    if (!session || session.revoked) throw new AppError('unauthenticated', 'Session ended.');
    if (!session.amr.includes('otp')) session.amr.push('otp');
    session.otpAt = clock.now();
    return issue(session);
  };

  const revokeAllSessions: RevokeAllSessions = async (revocation) => {
    revocations.push(revocation);
    for (const session of sessions.values()) {
      if (session.userId === revocation.userId && session.id !== revocation.exceptSessionId) session.revoked = true;
    }
  };

  const authenticate: Authenticator = async (request) => {
    const header = request.headers.authorization;
    if (typeof header !== 'string') return null;
    const token = /^Bearer (\S+)$/.exec(header)?.[1] ?? '';
    const session = sessions.get(sessionByAccessToken.get(token) ?? '');
    if (!session || session.revoked) throw new AppError('unauthenticated', 'Invalid credentials.');
    const [user] = await database.query<{ platform_admin: boolean }>('SELECT platform_admin FROM users WHERE id = $1', [
      session.userId,
    ]);
    return {
      userId: session.userId,
      sessionId: session.id,
      platformAdmin: user?.platform_admin ?? false,
      amr: [...session.amr],
      membership: null,
    } satisfies Caller;
  };

  /** Step-up as the composition root may wire it: requireStepUp over the token's amr + otp_at. */
  const demandStepUp = (caller: Caller): void => {
    const session = sessions.get(caller.sessionId ?? '');
    requireStepUp({ claims: { amr: session?.amr ?? caller.amr, otpAt: session?.otpAt ?? null }, now: clock.now() });
  };

  /** Signs a user in directly (as the password step would), returning its Authorization header. */
  async function signIn(userId: string, amr: AuthenticationMethod[] = ['pwd']) {
    const tokens = await startSession({ userId, amr, ip: null, userAgent: null });
    started.pop();
    return { tokens, headers: { authorization: `Bearer ${tokens.accessToken}` } };
  }

  return {
    seams: { startSession, setSessionCookies, recordSecondFactor, revokeAllSessions, authenticate, demandStepUp },
    sessions,
    started,
    revocations,
    recorded,
    signIn,
    bearer: (tokens: { accessToken: string }) => ({ authorization: `Bearer ${tokens.accessToken}` }),
  };
}

export type FakeSessions = ReturnType<typeof createFakeSessions>;
