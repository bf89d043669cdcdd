// Test support (not a test file): a Vigil on a fresh database with the accounts and mail routes
// wired to recording fakes of the sessions seams, so accounts is tested on its own.
import type { FastifyReply } from 'fastify';
import { createLogCapture, TEST_STATIC_FILES } from '../../../../../test/helpers/test-vigil.ts';
import { createTestDatabase, type TestDatabase } from '../../../../../test/helpers/test-database.ts';
import { loadConfig } from '../../../config.ts';
import { createVigil, type Vigil } from '../../../main.ts';
import type { Caller } from '../../../platform/authz/caller.ts';
import { type ControlledClock, createControlledClock } from '../../../platform/clock.ts';
import { createKeyring } from '../../../platform/crypto/keyring.ts';
import { newId } from '../../../platform/db/ids.ts';
import { AppError } from '../../../platform/errors/app-error.ts';
import { createLogger } from '../../../platform/log/create-logger.ts';
import type { RateLimitStore } from '../../../platform/rate-limit/rate-limit-store.ts';
import type { IssuedTokens, SecondFactor, SessionStartInput } from '../identity-types.ts';
import { createMailer, type MailTransport } from '../mail/create-mailer.ts';
import { devOutboxRoutes } from '../mail/dev-outbox-routes.ts';
import type { AccountLimits, RequireStepUp } from './account-context.ts';
import { accountRoutes } from './account-routes.ts';
import { type AccountService, createAccountService } from './account-service.ts';

const unlimitedRateLimitStore: RateLimitStore = {
  kind: 'memory',
  take: async (_key, policy) => ({ allowed: true, remaining: policy.capacity, retryAfterMs: 0, resetMs: 0 }),
  healthy: () => true,
  close: async () => {},
};

export type AccountsTestServer = {
  vigil: Vigil;
  testDatabase: TestDatabase;
  clock: ControlledClock;
  logs: ReturnType<typeof createLogCapture>;
  accounts: AccountService;
  sessions: {
    started: SessionStartInput[];
    cookiesSet: IssuedTokens[];
    revoked: { userId: string; exceptSessionId?: string | null; reason: string }[];
    /** Authorization header of a caller, as the real authenticator would accept it. */
    authorization(caller: Partial<Caller> & { userId: string }): Record<string, string>;
  };
  /** The newest outbox mail to an address (after background work finished). */
  lastMailTo(address: string): Promise<{ subject: string; text: string } | null>;
  /** The token of the first `#token=` link of a mail text. */
  linkToken(text: string, path: 'verify-email' | 'reset-password'): string;
  close(): Promise<void>;
};

export async function startAccountsTestServer(
  options: {
    environment?: Record<string, string>;
    limits?: Partial<AccountLimits>;
    secondFactor?: SecondFactor;
    requireStepUp?: RequireStepUp;
    transport?: MailTransport | null;
    /**
     * Apply the platform's per-route rate limits (on for the brute-force test). Off by default:
     * tests run many flows from one address on a clock that only moves when told to.
     */
    platformRateLimits?: boolean;
  } = {},
): Promise<AccountsTestServer> {
  const testDatabase = await createTestDatabase();
  const { database } = testDatabase;
  try {
    const logs = createLogCapture();
    const clock = createControlledClock(new Date('2026-03-02T09:00:00Z'));
    const config = loadConfig({ VIGIL_PROFILE: 'test', LOG_LEVEL: 'info', PORT: '0', ...options.environment });
    const log = createLogger({ level: 'info', destination: logs.stream, name: 'accounts-test' });
    const keyring = createKeyring({ database, masterKey: config.masterKey as Buffer });
    const mailer = createMailer({ config, database, keyring, clock, log, transport: options.transport ?? null });

    const started: SessionStartInput[] = [];
    const cookiesSet: IssuedTokens[] = [];
    const revoked: AccountsTestServer['sessions']['revoked'] = [];
    const callers = new Map<string, Caller>();
    const accounts = createAccountService({
      config,
      database,
      clock,
      log,
      mailer,
      startSession: async (input) => {
        started.push(input);
        const sessionId = newId();
        const now = clock.now().getTime();
        return {
          sessionId,
          accessToken: `access-${sessionId}`,
          accessTokenExpiresAt: new Date(now + 10 * 60_000),
          refreshToken: `refresh-${sessionId}`,
          refreshTokenExpiresAt: new Date(now + 30 * 86_400_000),
        };
      },
      revokeAllSessions: async (input) => {
        revoked.push(input);
      },
      ...(options.secondFactor ? { secondFactor: options.secondFactor } : {}),
      ...(options.requireStepUp ? { requireStepUp: options.requireStepUp } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
    });
    const authenticate = async (request: { headers: Record<string, string | string[] | undefined> }) => {
      const header = request.headers.authorization;
      if (typeof header !== 'string') return null;
      const caller = callers.get(header);
      if (!caller) throw new AppError('unauthenticated', 'Invalid credentials.');
      return caller;
    };
    const setSessionCookies = (reply: FastifyReply, tokens: IssuedTokens) => {
      cookiesSet.push(tokens);
      reply.header('set-cookie', `vigil_test_session=${tokens.sessionId}; HttpOnly; SameSite=Strict; Path=/`);
    };

    const vigil = await createVigil({
      config,
      database,
      logDestination: logs.stream,
      clock,
      authenticate,
      worker: false,
      withoutIdentityRoutes: true,
      staticFiles: TEST_STATIC_FILES,
      ...(options.platformRateLimits ? {} : { rateLimitStore: unlimitedRateLimitStore }),
      extraRoutes: [
        ...accountRoutes({ accounts, setSessionCookies }),
        ...devOutboxRoutes({ config, database, keyring }),
      ],
    });

    return {
      vigil,
      testDatabase,
      clock,
      logs,
      accounts,
      sessions: {
        started,
        cookiesSet,
        revoked,
        authorization(partial) {
          const caller: Caller = {
            sessionId: `session-of-${partial.userId}`,
            platformAdmin: false,
            amr: ['pwd'],
            membership: null,
            ...partial,
          };
          const header = `Bearer caller-${callers.size + 1}`;
          callers.set(header, caller);
          return { authorization: header };
        },
      },
      async lastMailTo(address) {
        await accounts.flush();
        const response = await vigil.app.inject({ method: 'GET', url: '/api/dev/outbox' });
        const { items } = response.json() as { items: { to: string; subject: string; text: string }[] };
        const mail = items.find((item) => item.to === address);
        return mail ? { subject: mail.subject, text: mail.text } : null;
      },
      linkToken(text, path) {
        const match = new RegExp(`/${path}#token=([A-Za-z0-9_-]+)`).exec(text);
        if (!match?.[1]) throw new Error(`no ${path} link in mail:\n${text}`);
        return match[1];
      },
      async close() {
        await accounts.flush();
        await vigil.close();
        await testDatabase.close();
      },
    };
  } catch (error) {
    await testDatabase.close();
    throw error;
  }
}
