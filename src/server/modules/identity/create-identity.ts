import type { Logger } from 'pino';
import type { Config } from '../../config.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Keyring } from '../../platform/crypto/keyring.ts';
import type { Database } from '../../platform/db/database.ts';
import type { AnyRouteDefinition } from '../../platform/http/define-route.ts';
import { accountRoutes } from './accounts/account-routes.ts';
import { type AccountService, createAccountService } from './accounts/account-service.ts';
import { createMailer, type Mailer } from './mail/create-mailer.ts';
import { devOutboxRoutes } from './mail/dev-outbox-routes.ts';
import { createSecondFactor } from './mfa/create-second-factor.ts';
import { mfaRoutes } from './mfa/mfa-routes.ts';
import { createSessionService, type SessionService } from './sessions/session-service.ts';
import { sessionRoutes } from './sessions/session-routes.ts';
import { createSso, type SsoService } from './sso/create-sso.ts';
import { createSsoProviders } from './sso/sso-providers.ts';
import { ssoRoutes } from './sso/sso-routes.ts';

export type Identity = {
  sessions: SessionService;
  accounts: AccountService;
  secondFactor: ReturnType<typeof createSecondFactor>;
  sso: SsoService;
  routes: AnyRouteDefinition[];
  /** Outgoing mail (SMTP or the development outbox), for other modules' messages. */
  mailer: Mailer;
  /**
   * Demands a recent second factor (step-up) from a caller with MFA on; callers without MFA pass
   * (their sensitive actions ask for something else, e.g. the password or a typed confirmation).
   */
  requireStepUp(caller: { userId: string; sessionId: string | null }): Promise<void>;
  /** Waits for background mail and tasks (shutdown). */
  flush(): Promise<void>;
};

/**
 * Wires the identity sub-modules together through the seams of identity-types.ts: sessions
 * (tokens, refresh, cookies, the Authenticator), MFA (TOTP, recovery codes, step-up) and accounts
 * (sign-up, sign-in, verification, reset, password change, mail).
 */
export function createIdentity(options: {
  database: Database;
  keyring: Keyring;
  clock: Clock;
  config: Config;
  log: Pick<Logger, 'error' | 'warn' | 'info'>;
}): Identity {
  const { database, keyring, clock, config, log } = options;
  const sessions = createSessionService({ database, keyring, clock, config, log });
  const secondFactor = createSecondFactor({ database, clock });
  const mailer = createMailer({ config, database, keyring, clock, log });
  // Step-up applies to accounts with MFA; without it there is no second factor to ask for (the
  // sensitive action itself asks for the password again).
  const requireStepUp = async (caller: { userId: string; sessionId: string | null }) => {
    if ((await secondFactor.required(caller.userId)).enrolled)
      await sessions.requireRecentSecondFactor({ sessionId: caller.sessionId });
  };
  const accounts = createAccountService({
    config,
    database,
    clock,
    log,
    mailer,
    startSession: sessions.startSession,
    revokeAllSessions: sessions.revokeAllSessions,
    secondFactor,
    requireStepUp,
  });
  const sso = createSso({
    database,
    keyring,
    clock,
    providers: createSsoProviders({ config, clock, log }),
    startSession: sessions.startSession,
    secondFactor,
    provePassword: (input) => accounts.provePassword(input),
  });
  const routes = [
    ...accountRoutes({
      accounts,
      setSessionCookies: sessions.setSessionCookies,
      clearSessionCookies: sessions.clearSessionCookies,
    }),
    ...devOutboxRoutes({ config, database, keyring }),
    ...sessionRoutes({ sessions }),
    ...mfaRoutes({
      database,
      keyring,
      clock,
      startSession: sessions.startSession,
      setSessionCookies: sessions.setSessionCookies,
      recordSecondFactor: sessions.recordSecondFactor,
      revokeAllSessions: sessions.revokeAllSessions,
      authenticate: sessions.authenticate,
      demandStepUp: (caller) => requireStepUp(caller),
    }),
    ...ssoRoutes({
      sso,
      setSessionCookies: sessions.setSessionCookies,
      demandStepUp: requireStepUp,
      publicUrl: config.publicUrl,
    }),
  ];
  return { sessions, accounts, secondFactor, sso, routes, mailer, requireStepUp, flush: () => accounts.flush() };
}
