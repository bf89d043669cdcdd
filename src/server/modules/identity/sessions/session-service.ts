import type { FastifyReply } from 'fastify';
import type { Config } from '../../../config.ts';
import type { Authenticator } from '../../../platform/authz/caller.ts';
import type { Clock } from '../../../platform/clock.ts';
import type { Keyring } from '../../../platform/crypto/keyring.ts';
import type { Database } from '../../../platform/db/database.ts';
import type {
  IssuedTokens,
  RecordSecondFactor,
  RevokeAllSessions,
  SessionStartInput,
  SetSessionCookies,
  StartSession,
} from '../identity-types.ts';
import {
  type AuthenticatedRequest,
  authenticateSessionRequest,
  createSessionAuthenticator,
} from './authenticate-session.ts';
import { identifyRefreshToken } from './identify-refresh-token.ts';
import { listSessions } from './list-sessions.ts';
import { maintainSessions, type SessionMaintenance } from './maintain-sessions.ts';
import { recordSecondFactor } from './record-second-factor.ts';
import { type RefreshInput, type RefreshOutcome, refreshSession } from './refresh-session.ts';
import { requireRecentSecondFactor } from './require-recent-second-factor.ts';
import { revokeAllSessions, revokeSession } from './revoke-sessions.ts';
import { rotateJwtSigningKey, type SigningKeyRotation } from './rotate-jwt-signing-key.ts';
import { clearSessionCookies, type SessionRequest, type SessionTokens, setSessionCookies } from './session-cookies.ts';
import type { SessionDependencies } from './session-dependencies.ts';
import { listenForSessionChanges, type SessionChangeListener } from './listen-for-session-changes.ts';
import { createSessionCache, type SessionCache, type SessionInvalidation } from './session-cache.ts';
import { createSigningKeyStore } from './signing-key-store.ts';
import type { PublicSigningJwk } from './session-tables.ts';
import { startSession } from './start-session.ts';
import { switchSessionOrganisation } from './switch-session-organisation.ts';
import type { SessionList } from '../../../../contracts/sessions.ts';
import type { OrganisationRole } from '../../../../contracts/permissions.ts';

export type SessionService = {
  /** Seams of identity-types.ts, for accounts/ and mfa/. */
  startSession: StartSession & ((input: SessionStartInput) => Promise<SessionTokens>);
  setSessionCookies: SetSessionCookies;
  revokeAllSessions: RevokeAllSessions;
  recordSecondFactor: RecordSecondFactor & ((options: { sessionId: string }) => Promise<SessionTokens>);
  /** The request pipeline's Authenticator (createVigil's `authenticate`). */
  authenticate: Authenticator;
  /** The same, also saying whether the request used a bearer token or cookies. */
  authenticateRequest(request: SessionRequest): Promise<AuthenticatedRequest | null>;
  /** Step-up guard for sensitive routes: throws `step-up-required` unless a code was entered in the last 10 min. */
  requireRecentSecondFactor(options: { sessionId: string | null }): Promise<void>;
  refreshSession(input: RefreshInput): Promise<RefreshOutcome>;
  identifyRefreshToken(options: {
    refreshToken: string;
    csrf: { presented: string | null } | null;
  }): Promise<{ sessionId: string; userId: string } | 'csrf-failed' | null>;
  revokeSession(options: { userId: string; sessionId: string; reason: string; requestId?: string }): Promise<boolean>;
  revokeSessions(options: {
    userId: string;
    exceptSessionId?: string | null;
    reason: string;
    requestId?: string;
  }): Promise<number>;
  listSessions(options: { userId: string; currentSessionId: string | null }): Promise<SessionList>;
  switchOrganisation(options: {
    userId: string;
    sessionId: string;
    orgId: string;
    requestId: string;
  }): Promise<{ accessToken: string; accessTokenExpiresAt: Date; orgId: string; role: OrganisationRole }>;
  clearSessionCookies(reply: FastifyReply): void;
  /** Public keys for /.well-known/jwks.json. */
  publishedKeys(): Promise<PublicSigningJwk[]>;
  /** `vigil keys rotate-jwt`. */
  rotateSigningKey(): Promise<SigningKeyRotation>;
  /** The `identity.sessions_maintenance` job's work. */
  maintain(): Promise<SessionMaintenance>;
  /**
   * Drops what this process caches about a user, a session, or an organisation's memberships
   * (optionally one member's). Call it after committing any change to what a session may do that
   * does not go through this service — a membership's role changed or removed, a user suspended,
   * promoted or deleted: the next request in this process then reads the database. Other
   * processes learn of the change through the database triggers of migrations/0009.
   */
  invalidate(what: SessionInvalidation): void;
  /** Subscribes to change notifications; until then (and without them) session states are not cached. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves when a change notification about `userId` arrives (tests await it instead of sleeping). */
  nextChange(userId: string): Promise<void>;
  /** Resolves when a change notification about organisation `orgId` arrives (suspension, migration 0011). */
  nextOrganisationChange(orgId: string): Promise<void>;
  cache: SessionCache;
  dependencies: SessionDependencies;
};

/**
 * The sessions sub-module, wired once in main.ts: access tokens (EdDSA JWTs), rotating refresh
 * tokens with reuse detection, cookies + CSRF for browsers, the Authenticator, and key rotation.
 */
export function createSessionService(options: {
  database: Database;
  keyring: Keyring;
  clock: Clock;
  config: Pick<Config, 'publicUrl'>;
  log?: { warn(object: object, message: string): void };
  /** false: no caching at all (every request verifies the token and reads the database). */
  cache?: boolean;
}): SessionService {
  const { database, keyring, clock } = options;
  const cache = createSessionCache();
  const store = createSigningKeyStore({ database, keyring, clock });
  // Rotation in this process also forgets verified tokens (a retired key still verifies for
  // RETIRED_KEY_VERIFY_MS, longer than any token it signed lives, so other processes' rotations
  // need nothing more).
  const keys = {
    ...store,
    refresh() {
      store.refresh();
      cache.clearTokens();
    },
  };
  const dependencies: SessionDependencies = {
    database,
    keyring,
    clock,
    keys,
    issuer: options.config.publicUrl ?? 'vigil',
    ...(options.cache === false ? {} : { cache }),
  };
  let listener: SessionChangeListener | null = null;
  return {
    startSession: (input) => startSession(dependencies, input),
    setSessionCookies: (reply: FastifyReply, tokens: IssuedTokens) => setSessionCookies(reply, tokens),
    revokeAllSessions: async (revoke) => {
      await revokeAllSessions(dependencies, revoke);
    },
    recordSecondFactor: (recorded) => recordSecondFactor(dependencies, recorded),
    authenticate: createSessionAuthenticator(dependencies),
    authenticateRequest: (request) => authenticateSessionRequest(dependencies, request),
    requireRecentSecondFactor: (guard) => requireRecentSecondFactor(dependencies, guard),
    refreshSession: (input) => refreshSession(dependencies, input),
    identifyRefreshToken: (identify) => identifyRefreshToken(dependencies, identify),
    revokeSession: (revoke) => revokeSession(dependencies, revoke),
    revokeSessions: (revoke) => revokeAllSessions(dependencies, revoke),
    listSessions: (list) => listSessions(dependencies, list),
    switchOrganisation: (switched) => switchSessionOrganisation(dependencies, switched),
    clearSessionCookies,
    publishedKeys: () => keys.publishedKeys(),
    rotateSigningKey: async () => {
      const rotation = await rotateJwtSigningKey({ database, keyring, clock });
      keys.refresh();
      return rotation;
    },
    maintain: () => maintainSessions(dependencies),
    invalidate: (what) => cache.invalidate(what),
    async start() {
      listener ??= await listenForSessionChanges({ database, cache, log: options.log ?? console });
    },
    async stop() {
      await listener?.stop();
      listener = null;
    },
    nextChange: (userId) => {
      if (!listener) throw new Error('session change notifications are not started');
      return listener.nextChange(userId);
    },
    nextOrganisationChange: (orgId) => {
      if (!listener) throw new Error('session change notifications are not started');
      return listener.nextOrganisationChange(orgId);
    },
    cache,
    dependencies,
  };
}
