import type { FastifyReply } from 'fastify';

/**
 * The seams between the identity sub-modules (accounts, sessions, mfa), so each can be built and
 * tested on its own. main.ts wires the real implementations together.
 */

/** RFC 8176 authentication methods recorded in a session and in the access token's `amr`. */
export type AuthenticationMethod = 'pwd' | 'otp' | 'sso';

export type SessionStartInput = {
  userId: string;
  amr: AuthenticationMethod[];
  /** The organisation the first access token is for; null = the user's first membership (or none). */
  orgId?: string | null;
  ip: string | null;
  userAgent: string | null;
};

export type IssuedTokens = {
  sessionId: string;
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
};

/** Owned by sessions/: creates a session (refresh-token family) and its first tokens. */
export type StartSession = (input: SessionStartInput) => Promise<IssuedTokens>;

/** Owned by sessions/: puts tokens into httpOnly cookies (web) — API clients read the JSON body. */
export type SetSessionCookies = (reply: FastifyReply, tokens: IssuedTokens) => void;

/** Owned by sessions/: ends every session of a user at once (password change/reset, MFA change, suspension). */
export type RevokeAllSessions = (options: {
  userId: string;
  exceptSessionId?: string | null;
  reason: string;
}) => Promise<void>;

/**
 * Owned by mfa/: whether a password (or SSO) sign-in must be completed with a second factor,
 * and the single-use challenge token the client presents with the code. Until mfa/ exists the
 * accounts module is wired with `noSecondFactor`.
 */
export type SecondFactor = {
  required(userId: string): Promise<{ required: boolean; enrolled: boolean }>;
  createChallenge(input: {
    userId: string;
    ip: string | null;
    userAgent: string | null;
  }): Promise<{ challengeToken: string; expiresAt: Date }>;
};

export const noSecondFactor: SecondFactor = {
  required: async () => ({ required: false, enrolled: false }),
  createChallenge: async () => {
    throw new Error('MFA is not available');
  },
};

/**
 * Owned by sessions/: records that the session just passed a second factor (MFA sign-in
 * completion or step-up) and re-issues its access token with `otp` in `amr` and a fresh
 * `otp_at`, so step-up-protected actions are allowed for the next 10 minutes.
 */
export type RecordSecondFactor = (options: { sessionId: string }) => Promise<IssuedTokens>;
