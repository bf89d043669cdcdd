import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { MasterKeyError, readMasterKeyFile } from './platform/crypto/master-key.ts';

/**
 * The one place that reads the environment. Parsed once at start-up into a frozen object;
 * every problem is reported together so an operator fixes them in one go.
 */

/**
 * Well-known master key of the test profile (tests must be reproducible). Development generates a
 * random key into the data directory instead; production refuses both.
 */
export const DEVELOPMENT_MASTER_KEY = Buffer.alloc(32, 0x76).toString('base64');

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((value) => ['true', '1', 'yes', 'on'].includes(value));

const postgresUrl = z
  .string()
  .url()
  .refine((value) => /^postgres(ql)?:\/\//.test(value), 'must be a postgres:// or postgresql:// URL');

const environmentSchema = z.object({
  VIGIL_PROFILE: z.enum(['development', 'test', 'production']).optional(),
  NODE_ENV: z.string().optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  VIGIL_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_MIGRATION_URL: postgresUrl.optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  VIGIL_MASTER_KEY: z
    .string()
    .refine((value) => Buffer.from(value, 'base64').length === 32, 'must be 32 bytes, base64-encoded')
    .optional(),
  VIGIL_MASTER_KEY_FILE: z.string().optional(),
  TRUST_PROXY: z.string().optional(),
  TLS_CERT: z.string().optional(),
  TLS_KEY: z.string().optional(),
  HTTP_REDIRECT_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  HSTS_PRELOAD: booleanFlag.optional(),
  SECURITY_CONTACT: z
    .string()
    .regex(/^(mailto:|https:)/, 'must be a mailto: or https: URI')
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  REDIS_URL: z.string().url().optional(),
  VIGIL_PUBLIC_URL: z.string().url().optional(),
  VIGIL_WORKER: booleanFlag.optional(),
  VIGIL_DEMO_SEED: booleanFlag.optional(),
  METRICS_TOKEN: z.string().min(16).optional(),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(50 * 1024 * 1024)
    .default(1024 * 1024),
  VIGIL_BACKUP_DIR: z.string().min(1).optional(),
  VIGIL_BACKUP_RETENTION: z.coerce.number().int().min(1).max(10_000).default(7),
  /** Hours between scheduled backups; 0 turns them off (e.g. when the platform snapshots the database). */
  VIGIL_BACKUP_INTERVAL_HOURS: z.coerce
    .number()
    .int()
    .min(0)
    .max(24 * 31)
    .default(24),
  // bcrypt work factor; below 10 is too cheap to slow an offline attack on a stolen hash.
  BCRYPT_COST: z.coerce.number().int().min(10).max(20).optional(),
  SMTP_URL: z
    .string()
    .url()
    .refine((value) => /^smtps?:\/\//.test(value), 'must be an smtp:// or smtps:// URL')
    .optional(),
  MAIL_FROM: z.string().min(3).max(320).optional(),
  // Sign in with Google: both or neither; the issuer is Google's unless overridden (tests, proxies).
  VIGIL_GOOGLE_CLIENT_ID: z.string().min(1).max(512).optional(),
  VIGIL_GOOGLE_CLIENT_SECRET: z.string().min(1).max(512).optional(),
  VIGIL_GOOGLE_ISSUER: z.string().url().optional(),
  /** JSON array of `{ id, name, issuer, clientId, clientSecret }`: further OpenID Connect providers. */
  VIGIL_OIDC_PROVIDERS: z.string().optional(),
  /** Development and tests only: allow http:// issuers (a local provider double). Refused in production. */
  VIGIL_SSO_ALLOW_HTTP_ISSUERS: booleanFlag.optional(),
  /** Development only: let webhook endpoints use http:// (production refuses it). */
  VIGIL_WEBHOOK_ALLOW_HTTP: booleanFlag.optional(),
  /** Comma-separated CIDRs of internal receivers webhooks may reach (self-hosting); metadata stays blocked. */
  VIGIL_WEBHOOK_ALLOWED_CIDRS: z.string().optional(),
  VIGIL_WEBHOOK_ROTATION_GRACE_HOURS: z.coerce
    .number()
    .min(0)
    .max(24 * 30)
    .default(24),
  VIGIL_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(15_000),
  /** Deliveries one process runs at once, and of those, at most this many to one endpoint. */
  VIGIL_WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  VIGIL_WEBHOOK_ENDPOINT_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  /** Sustained deliveries per second to one endpoint (per process); bursts up to twice that. */
  VIGIL_WEBHOOK_ENDPOINT_RATE: z.coerce.number().min(0.1).max(10_000).default(50),
  VIGIL_WEBHOOK_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(250),
});

/** One OpenID Connect provider users may sign in with (Google is one with a fixed id). */
export type SsoProviderConfig = Readonly<{
  /** Stable slug in URLs and in user_identities.provider. */
  id: string;
  /** Shown on the button: "Continue with <name>". */
  name: string;
  kind: 'google' | 'oidc';
  issuer: string;
  clientId: string;
  clientSecret: string;
}>;

const ssoProviderSchema = z.object({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'id: lower-case letters, digits and dashes, at most 32')
    .refine((id) => id !== 'google', 'id: "google" is reserved for VIGIL_GOOGLE_CLIENT_ID'),
  name: z.string().trim().min(1).max(60),
  issuer: z.string().url(),
  clientId: z.string().min(1).max(512),
  clientSecret: z.string().min(1).max(512),
});

/** The providers of VIGIL_GOOGLE_* and VIGIL_OIDC_PROVIDERS; problems are added to `problems`. */
function parseSsoProviders(env: z.infer<typeof environmentSchema>, problems: string[]): SsoProviderConfig[] {
  const providers: SsoProviderConfig[] = [];
  if (Boolean(env.VIGIL_GOOGLE_CLIENT_ID) !== Boolean(env.VIGIL_GOOGLE_CLIENT_SECRET)) {
    problems.push('VIGIL_GOOGLE_CLIENT_ID and VIGIL_GOOGLE_CLIENT_SECRET: set both or neither');
  } else if (env.VIGIL_GOOGLE_CLIENT_ID && env.VIGIL_GOOGLE_CLIENT_SECRET) {
    providers.push({
      id: 'google',
      name: 'Google',
      kind: 'google',
      issuer: env.VIGIL_GOOGLE_ISSUER ?? 'https://accounts.google.com',
      clientId: env.VIGIL_GOOGLE_CLIENT_ID,
      clientSecret: env.VIGIL_GOOGLE_CLIENT_SECRET,
    });
  }
  if (env.VIGIL_OIDC_PROVIDERS) {
    let json: unknown;
    try {
      json = JSON.parse(env.VIGIL_OIDC_PROVIDERS);
    } catch {
      problems.push('VIGIL_OIDC_PROVIDERS: must be a JSON array of { id, name, issuer, clientId, clientSecret }');
      return providers;
    }
    const parsed = z.array(ssoProviderSchema).max(20).safeParse(json);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        problems.push(`VIGIL_OIDC_PROVIDERS[${issue.path.join('.')}]: ${issue.message}`);
      return providers;
    }
    for (const provider of parsed.data) providers.push({ ...provider, kind: 'oidc' });
  }
  const ids = providers.map((provider) => provider.id);
  for (const id of new Set(ids.filter((value, index) => ids.indexOf(value) !== index)))
    problems.push(`VIGIL_OIDC_PROVIDERS: provider id "${id}" is used twice`);
  for (const provider of providers) {
    // The ID token's signature is the only proof of who signed in; plain HTTP lets anyone on the
    // path swap the provider's keys. Only a development double may use it, and only when asked.
    if (!provider.issuer.startsWith('https://') && env.VIGIL_SSO_ALLOW_HTTP_ISSUERS !== true)
      problems.push(
        `SSO provider "${provider.id}": issuer must be https:// (VIGIL_SSO_ALLOW_HTTP_ISSUERS=true allows http:// outside production)`,
      );
  }
  return providers;
}

export type Profile = 'development' | 'test' | 'production';

export type Config = Readonly<{
  profile: Profile;
  port: number;
  host: string;
  dataDir: string;
  database: Readonly<
    | { kind: 'pglite'; dataDir: string | null }
    | { kind: 'postgres'; url: string; migrationUrl: string; poolSize: number }
  >;
  /**
   * The KEK from VIGIL_MASTER_KEY or VIGIL_MASTER_KEY_FILE; null in development without one (a
   * key is then generated into the data directory at start, see resolveMasterKey).
   */
  masterKey: Buffer | null;
  trustProxy: string[] | boolean;
  tls: Readonly<{ certFile: string; keyFile: string }> | null;
  /** With TLS: a plain-HTTP port that only redirects (308) to HTTPS. */
  httpRedirectPort: number | null;
  hstsPreload: boolean;
  /** security.txt Contact (RFC 9116). */
  securityContact: string;
  logLevel: string;
  redisUrl: string | null;
  publicUrl: string | null;
  inProcessWorker: boolean;
  demoSeed: boolean;
  metricsToken: string | null;
  bodyLimitBytes: number;
  /** Scheduled backups (job `backup.scheduled`) and `vigil backup`'s default output directory. */
  backup: Readonly<{ dir: string; retention: number; intervalHours: number }>;
  /** bcrypt cost: BCRYPT_COST, else 12 (10, the minimum, in the test profile so suites stay fast). */
  bcryptCost: number;
  /** Outgoing mail: SMTP when smtpUrl is set, else the mail_outbox table (shown in development). */
  mail: Readonly<{ smtpUrl: string | null; from: string }>;
  /** Sign-in with Google / OpenID Connect providers (none configured: no SSO buttons). */
  sso: Readonly<{ providers: readonly SsoProviderConfig[]; allowHttpIssuers: boolean }>;
  /** Outbound webhooks: egress policy, rotation grace, delivery timeouts and concurrency. */
  webhooks: Readonly<{
    allowHttp: boolean;
    allowedCidrs: readonly string[];
    rotationGraceHours: number;
    timeoutMs: number;
    concurrency: number;
    endpointConcurrency: number;
    endpointRatePerSecond: number;
    pollIntervalMs: number;
  }>;
  version: string;
}>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function readVersion(): string {
  try {
    const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return packageJson.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

function resolveProfile(env: z.infer<typeof environmentSchema>): Profile {
  if (env.VIGIL_PROFILE) return env.VIGIL_PROFILE;
  if (env.NODE_ENV === 'production') return 'production';
  if (env.NODE_ENV === 'test') return 'test';
  return 'development';
}

function parseTrustProxy(value: string | undefined): string[] | boolean {
  if (!value) return false;
  if (value === 'true') return true;
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

/**
 * Parses the environment (normally `process.env`) into a frozen Config, or throws ConfigError
 * listing every problem at once.
 */
export function loadConfig(environment: Record<string, string | undefined>): Config {
  const problems: string[] = [];
  const parsed = environmentSchema.safeParse(
    // Empty strings mean "unset": shells and compose files produce them often.
    Object.fromEntries(Object.entries(environment).filter(([, value]) => value !== undefined && value !== '')),
  );
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(`${issue.path.join('.') || '(environment)'}: ${issue.message}`);
    }
    throw new ConfigError(problems);
  }
  const env = parsed.data;
  const profile = resolveProfile(env);
  const dataDir = path.resolve(env.VIGIL_DATA_DIR);

  let masterKey: Buffer | null = null;
  let developmentKeyFile = false;
  if (env.VIGIL_MASTER_KEY) masterKey = Buffer.from(env.VIGIL_MASTER_KEY, 'base64');
  else if (env.VIGIL_MASTER_KEY_FILE) {
    try {
      const file = readMasterKeyFile(env.VIGIL_MASTER_KEY_FILE);
      masterKey = file.key;
      developmentKeyFile = file.development;
    } catch (error) {
      problems.push(
        error instanceof MasterKeyError
          ? 'VIGIL_MASTER_KEY_FILE: must contain 32 bytes, base64-encoded'
          : `VIGIL_MASTER_KEY_FILE: cannot read ${env.VIGIL_MASTER_KEY_FILE}`,
      );
    }
  }

  if ((env.TLS_CERT && !env.TLS_KEY) || (!env.TLS_CERT && env.TLS_KEY)) {
    problems.push('TLS_CERT and TLS_KEY: set both or neither');
  }
  const trustProxy = parseTrustProxy(env.TRUST_PROXY);
  const ssoProviders = parseSsoProviders(env, problems);

  if (profile === 'production') {
    if (!masterKey) problems.push('VIGIL_MASTER_KEY: required in production (or VIGIL_MASTER_KEY_FILE)');
    else if (
      developmentKeyFile ||
      masterKey.equals(Buffer.from(DEVELOPMENT_MASTER_KEY, 'base64')) ||
      new Set(masterKey).size < 8
    ) {
      problems.push('VIGIL_MASTER_KEY: the development default or a low-entropy key cannot be used in production');
    }
    if (!env.TLS_CERT && trustProxy === false) {
      problems.push(
        'TLS_CERT/TLS_KEY or TRUST_PROXY: production refuses plain HTTP; serve TLS or declare the TLS proxy in front',
      );
    }
    if (!env.DATABASE_URL) problems.push('DATABASE_URL: production runs on PostgreSQL, not the embedded database');
    if (env.SMTP_URL && !env.MAIL_FROM) problems.push('MAIL_FROM: required in production when SMTP_URL is set');
    if (env.VIGIL_SSO_ALLOW_HTTP_ISSUERS === true)
      problems.push('VIGIL_SSO_ALLOW_HTTP_ISSUERS: development and tests only; production issuers use https://');
    if (ssoProviders.length > 0 && !env.VIGIL_PUBLIC_URL)
      problems.push('VIGIL_PUBLIC_URL: required in production with SSO providers (it makes the redirect URI)');
    if (env.VIGIL_WEBHOOK_ALLOW_HTTP)
      problems.push('VIGIL_WEBHOOK_ALLOW_HTTP: production sends webhooks over https only');
  }
  const webhookCidrs = (env.VIGIL_WEBHOOK_ALLOWED_CIDRS ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const cidr of webhookCidrs) {
    const [network = '', prefix] = cidr.split('/');
    const family = isIP(network);
    const bits = prefix === undefined ? null : Number(prefix);
    if (family === 0 || (bits !== null && !(Number.isInteger(bits) && bits >= 0 && bits <= (family === 4 ? 32 : 128))))
      problems.push(`VIGIL_WEBHOOK_ALLOWED_CIDRS: ${cidr} is not a CIDR (e.g. 10.20.0.0/16)`);
  }

  if (problems.length > 0) throw new ConfigError(problems);

  const database: Config['database'] = env.DATABASE_URL
    ? {
        kind: 'postgres',
        url: env.DATABASE_URL,
        migrationUrl: env.DATABASE_MIGRATION_URL ?? env.DATABASE_URL,
        poolSize: env.DATABASE_POOL_SIZE,
      }
    : { kind: 'pglite', dataDir: path.join(dataDir, 'pglite') };

  return Object.freeze({
    profile,
    port: env.PORT,
    host: env.HOST,
    dataDir,
    database: Object.freeze(database),
    masterKey: masterKey ?? (profile === 'test' ? Buffer.from(DEVELOPMENT_MASTER_KEY, 'base64') : null),
    trustProxy,
    tls: env.TLS_CERT && env.TLS_KEY ? Object.freeze({ certFile: env.TLS_CERT, keyFile: env.TLS_KEY }) : null,
    httpRedirectPort: env.TLS_CERT ? (env.HTTP_REDIRECT_PORT ?? null) : null,
    hstsPreload: env.HSTS_PRELOAD ?? false,
    securityContact: env.SECURITY_CONTACT ?? 'mailto:security@localhost',
    logLevel: env.LOG_LEVEL,
    redisUrl: env.REDIS_URL ?? null,
    publicUrl: env.VIGIL_PUBLIC_URL ?? null,
    inProcessWorker: env.VIGIL_WORKER ?? true,
    demoSeed: env.VIGIL_DEMO_SEED ?? profile !== 'production',
    metricsToken: env.METRICS_TOKEN ?? null,
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    backup: Object.freeze({
      dir: env.VIGIL_BACKUP_DIR ? path.resolve(env.VIGIL_BACKUP_DIR) : path.join(dataDir, 'backups'),
      retention: env.VIGIL_BACKUP_RETENTION,
      intervalHours: env.VIGIL_BACKUP_INTERVAL_HOURS,
    }),
    bcryptCost: env.BCRYPT_COST ?? (profile === 'test' ? 10 : 12),
    mail: Object.freeze({ smtpUrl: env.SMTP_URL ?? null, from: env.MAIL_FROM ?? 'Vigil <no-reply@localhost>' }),
    sso: Object.freeze({
      providers: Object.freeze(ssoProviders.map((provider) => Object.freeze(provider))),
      allowHttpIssuers: env.VIGIL_SSO_ALLOW_HTTP_ISSUERS ?? false,
    }),
    webhooks: Object.freeze({
      allowHttp: env.VIGIL_WEBHOOK_ALLOW_HTTP ?? false,
      allowedCidrs: Object.freeze(webhookCidrs),
      rotationGraceHours: env.VIGIL_WEBHOOK_ROTATION_GRACE_HOURS,
      timeoutMs: env.VIGIL_WEBHOOK_TIMEOUT_MS,
      concurrency: env.VIGIL_WEBHOOK_CONCURRENCY,
      endpointConcurrency: env.VIGIL_WEBHOOK_ENDPOINT_CONCURRENCY,
      endpointRatePerSecond: env.VIGIL_WEBHOOK_ENDPOINT_RATE,
      pollIntervalMs: env.VIGIL_WEBHOOK_POLL_MS,
    }),
    version: readVersion(),
  });
}
