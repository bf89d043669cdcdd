import type { Logger } from 'pino';
import type { Config } from '../../../config.ts';
import type { Caller } from '../../../platform/authz/caller.ts';
import type { Clock } from '../../../platform/clock.ts';
import type { Database, Transaction } from '../../../platform/db/database.ts';
import type { RouteContext } from '../../../platform/http/define-route.ts';
import { noSecondFactor, type RevokeAllSessions, type SecondFactor, type StartSession } from '../identity-types.ts';
import type { Mailer } from '../mail/create-mailer.ts';
import { type AccountLinks, accountLinks } from './account-mail.ts';
import { type AttemptLimit, type AttemptLimiter, createAttemptLimiter } from './attempt-limiter.ts';
import { type BackgroundTasks, createBackgroundTasks } from './background-tasks.ts';
import { createPasswordHasher, type PasswordHasher } from './password-hasher.ts';

/**
 * Step-up check for sensitive account actions (change password): throws unless the session
 * passed a second factor recently. The MFA module provides it; until then it is a no-op.
 */
export type RequireStepUp = (caller: Caller) => Promise<void>;

export const noStepUp: RequireStepUp = async () => {};

/**
 * The module's own limits, on top of the platform's per-route limits (`rateLimit: { policy:
 * 'auth' }`), for what those cannot express.
 */
export type AccountLimits = {
  /**
   * Wrong passwords per account (normalised email), at sign-in and change-password alike: a right
   * password gives its attempt back, so only guessing is counted — and a stolen access token
   * cannot guess the password through change-password faster than sign-in allows.
   */
  passwordGuessesPerAccount: AttemptLimit;
  /** Wrong passwords per client IP, across accounts (password spraying). */
  passwordGuessesPerIp: AttemptLimit;
  /**
   * Account mails per address (sign-up notice, verification, reset). Beyond it requests still
   * answer 202 but send nothing: a silent budget, so it reveals nothing and stops mail bombing.
   */
  mailsPerAddress: AttemptLimit;
};

export const DEFAULT_ACCOUNT_LIMITS: AccountLimits = {
  passwordGuessesPerAccount: { capacity: 10, refillEveryMs: 30_000 },
  passwordGuessesPerIp: { capacity: 10, refillEveryMs: 30_000 },
  mailsPerAddress: { capacity: 3, refillEveryMs: 10 * 60_000 },
};

export type AccountServiceDependencies = {
  config: Pick<Config, 'bcryptCost' | 'publicUrl' | 'port'>;
  database: Database;
  clock: Clock;
  log: Pick<Logger, 'error' | 'warn' | 'info'>;
  mailer: Mailer;
  startSession: StartSession;
  revokeAllSessions: RevokeAllSessions;
  /** Defaults to noSecondFactor until the MFA module exists. */
  secondFactor?: SecondFactor;
  /** Defaults to noStepUp until the MFA module exists. */
  requireStepUp?: RequireStepUp;
  limits?: Partial<AccountLimits>;
  /** Defaults to bcrypt at config.bcryptCost. */
  passwordHasher?: PasswordHasher;
};

/** Who is asking, for audit events and sessions. */
export type RequestMeta = { requestId: string; ip: string | null; userAgent: string | null };

/**
 * The route's platform transaction and audit draft: a change made through `run` commits together
 * with the audit event the route declares (see ctx.platform / ctx.audit).
 */
export type AuditedUnit = {
  run<T>(work: (transaction: Transaction) => Promise<T>): Promise<T>;
  audit: RouteContext<unknown, unknown, unknown>['audit'];
};

/** Everything the account flows share, resolved once. */
export type AccountContext = Required<Omit<AccountServiceDependencies, 'limits' | 'passwordHasher'>> & {
  hasher: PasswordHasher;
  links: AccountLinks;
  tasks: BackgroundTasks;
  limiters: { [Name in keyof AccountLimits]: AttemptLimiter };
};

export function createAccountContext(dependencies: AccountServiceDependencies): AccountContext {
  const limits = { ...DEFAULT_ACCOUNT_LIMITS, ...dependencies.limits };
  const limiter = (limit: AttemptLimit) => createAttemptLimiter({ ...limit, clock: dependencies.clock });
  return {
    ...dependencies,
    secondFactor: dependencies.secondFactor ?? noSecondFactor,
    requireStepUp: dependencies.requireStepUp ?? noStepUp,
    hasher: dependencies.passwordHasher ?? createPasswordHasher({ cost: dependencies.config.bcryptCost }),
    links: accountLinks(dependencies.config),
    tasks: createBackgroundTasks({ log: dependencies.log }),
    limiters: {
      passwordGuessesPerAccount: limiter(limits.passwordGuessesPerAccount),
      passwordGuessesPerIp: limiter(limits.passwordGuessesPerIp),
      mailsPerAddress: limiter(limits.mailsPerAddress),
    },
  };
}

/** Limiter key for a client address (requests without one share a bucket). */
export function ipKey(ip: string | null): string {
  return ip ?? 'unknown';
}

/**
 * Takes one password guess from the IP's and the account's budgets (or throws `rate-limited`,
 * before any bcrypt work). Returns `refund`, to call once the password turned out right.
 */
export function takePasswordGuess(options: { context: AccountContext; emailNormalised: string; ip: string | null }): {
  refund(): void;
} {
  const { passwordGuessesPerIp, passwordGuessesPerAccount } = options.context.limiters;
  const address = ipKey(options.ip);
  passwordGuessesPerIp.takeOrThrow(address);
  try {
    passwordGuessesPerAccount.takeOrThrow(options.emailNormalised);
  } catch (error) {
    passwordGuessesPerIp.refund(address);
    throw error;
  }
  return {
    refund() {
      passwordGuessesPerIp.refund(address);
      passwordGuessesPerAccount.refund(options.emailNormalised);
    },
  };
}
