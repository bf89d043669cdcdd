import { describe, expect, it } from 'vitest';
import { ConfigError, DEVELOPMENT_MASTER_KEY, loadConfig } from './config.ts';

const strongKey = Buffer.from(Array.from({ length: 32 }, (_, index) => (index * 37 + 11) % 256)).toString('base64');

function problemsOf(environment: Record<string, string>): string[] {
  try {
    loadConfig(environment);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('has working development defaults: embedded database under ./data, port 3000', () => {
    const config = loadConfig({});
    expect(config.profile).toBe('development');
    expect(config.port).toBe(3000);
    expect(config.database.kind).toBe('pglite');
    expect(config.dataDir.endsWith('/data')).toBe(true);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('honours PORT, HOST, VIGIL_DATA_DIR and DATABASE_URL', () => {
    const config = loadConfig({
      PORT: '4100',
      HOST: '0.0.0.0',
      VIGIL_DATA_DIR: '/tmp/vigil-x',
      DATABASE_URL: 'postgres://app@db/vigil',
    });
    expect(config.port).toBe(4100);
    expect(config.host).toBe('0.0.0.0');
    expect(config.dataDir).toBe('/tmp/vigil-x');
    expect(config.database).toEqual({
      kind: 'postgres',
      url: 'postgres://app@db/vigil',
      migrationUrl: 'postgres://app@db/vigil',
      poolSize: 10,
    });
  });

  it('reports every bad variable at once', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://x',
      LOG_LEVEL: 'loud',
      VIGIL_MASTER_KEY: 'short',
    });
    expect(problems.map((problem) => problem.split(':')[0])).toEqual(
      expect.arrayContaining(['PORT', 'DATABASE_URL', 'LOG_LEVEL', 'VIGIL_MASTER_KEY']),
    );
    expect(problems).toHaveLength(4);
  });

  it('refuses to start production without a master key, on plain HTTP, or on the embedded database', () => {
    const problems = problemsOf({ VIGIL_PROFILE: 'production' });
    expect(problems.join('\n')).toMatch(/VIGIL_MASTER_KEY: required/);
    expect(problems.join('\n')).toMatch(/plain HTTP/);
    expect(problems.join('\n')).toMatch(/DATABASE_URL/);
  });

  it('refuses the development master key (a default secret) in production', () => {
    const problems = problemsOf({
      VIGIL_PROFILE: 'production',
      VIGIL_MASTER_KEY: DEVELOPMENT_MASTER_KEY,
      TRUST_PROXY: '10.0.0.1',
      DATABASE_URL: 'postgres://app@db/vigil',
    });
    expect(problems).toEqual([expect.stringMatching(/development default/)]);
  });

  it('starts production behind a declared TLS proxy with a real key', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      VIGIL_MASTER_KEY: strongKey,
      TRUST_PROXY: '10.0.0.1, 10.0.0.2',
      DATABASE_URL: 'postgres://app@db/vigil',
      DATABASE_MIGRATION_URL: 'postgres://owner@db/vigil',
    });
    expect(config.profile).toBe('production');
    expect(config.trustProxy).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(config.demoSeed).toBe(false);
  });

  it('schedules backups every VIGIL_BACKUP_INTERVAL_HOURS (24 by default, 0 = off)', () => {
    expect(loadConfig({}).backup.intervalHours).toBe(24);
    expect(loadConfig({ VIGIL_BACKUP_INTERVAL_HOURS: '0' }).backup.intervalHours).toBe(0);
    expect(problemsOf({ VIGIL_BACKUP_INTERVAL_HOURS: '-1' })).toEqual([
      expect.stringMatching(/VIGIL_BACKUP_INTERVAL_HOURS/),
    ]);
  });

  it('requires TLS_CERT and TLS_KEY together', () => {
    expect(problemsOf({ TLS_CERT: '/tmp/cert.pem' })).toEqual([expect.stringMatching(/TLS_CERT and TLS_KEY/)]);
  });

  it('sends webhooks over https only by default, and refuses the http opt-in in production', () => {
    const defaults = loadConfig({}).webhooks;
    expect(defaults).toMatchObject({ allowHttp: false, allowedCidrs: [], rotationGraceHours: 24, timeoutMs: 15_000 });
    expect(loadConfig({ VIGIL_WEBHOOK_ALLOW_HTTP: 'true' }).webhooks.allowHttp).toBe(true);
    const production = {
      NODE_ENV: 'production',
      VIGIL_MASTER_KEY: strongKey,
      TRUST_PROXY: 'true',
      DATABASE_URL: 'postgres://app@db/vigil',
    };
    expect(loadConfig(production).webhooks.allowHttp).toBe(false);
    expect(problemsOf({ ...production, VIGIL_WEBHOOK_ALLOW_HTTP: 'true' })).toEqual([
      expect.stringMatching(/VIGIL_WEBHOOK_ALLOW_HTTP/),
    ]);
  });

  it('parses the webhook CIDR allowlist and reports bad entries', () => {
    expect(
      loadConfig({ VIGIL_WEBHOOK_ALLOWED_CIDRS: '10.20.0.0/16, fd00::/8,192.168.1.5' }).webhooks.allowedCidrs,
    ).toEqual(['10.20.0.0/16', 'fd00::/8', '192.168.1.5']);
    expect(problemsOf({ VIGIL_WEBHOOK_ALLOWED_CIDRS: '10.0.0.0/40,intranet' })).toEqual([
      expect.stringMatching(/10\.0\.0\.0\/40/),
      expect.stringMatching(/intranet/),
    ]);
  });
});
