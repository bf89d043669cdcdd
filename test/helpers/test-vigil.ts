import { Writable } from 'node:stream';
import { loadConfig } from '../../src/server/config.ts';
import type { RateLimitStore } from '../../src/server/platform/rate-limit/rate-limit-store.ts';
import { backgroundJobs, createVigil, type Vigil } from '../../src/server/main.ts';
import type { ResolveHost } from '../../src/server/modules/webhooks/webhook-url-policy.ts';
import type { Authenticator, Caller } from '../../src/server/platform/authz/caller.ts';
import { type ControlledClock, createControlledClock } from '../../src/server/platform/clock.ts';
import { AppError } from '../../src/server/platform/errors/app-error.ts';
import type { AnyRouteDefinition } from '../../src/server/platform/http/define-route.ts';
import type { StaticFile } from '../../src/server/platform/http/static-files.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

/** Captures every log line a test server writes, so tests can grep them. */
export function createLogCapture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      callback();
    },
  });
  return {
    stream,
    lines,
    text: () => lines.join('\n'),
    /** Waits out the event-loop turn: access-log lines are written at the end of their turn. */
    settled: () => new Promise<void>((resolve) => setImmediate(resolve)),
  };
}

/**
 * Test-only authentication until the identity module exists: `Authorization: Bearer
 * test-caller.<base64url JSON Caller>`. Lives in test/ so it can never ship.
 */
export function testCallerHeader(caller: Caller): Record<string, string> {
  return { authorization: `Bearer test-caller.${Buffer.from(JSON.stringify(caller)).toString('base64url')}` };
}

async function authenticateTestCaller(request: { headers: Record<string, string | string[] | undefined> }) {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer test-caller\.([A-Za-z0-9_-]+)$/.exec(header);
  if (!match?.[1]) throw new AppError('unauthenticated', 'Invalid credentials.');
  return JSON.parse(Buffer.from(match[1], 'base64url').toString('utf8')) as Caller;
}

export const TEST_STATIC_FILES = new Map<string, StaticFile>([
  [
    '/index.html',
    {
      body: Buffer.from('<!doctype html><title>Vigil test</title>'),
      contentType: 'text/html; charset=utf-8',
      etag: '"index"',
      immutable: false,
    },
  ],
  [
    '/assets/app-abc123.js',
    {
      body: Buffer.from('console.log(1)'),
      contentType: 'text/javascript; charset=utf-8',
      etag: '"app"',
      immutable: true,
    },
  ],
]);

export type TestVigil = {
  vigil: Vigil;
  testDatabase: TestDatabase;
  clock: ControlledClock;
  logs: ReturnType<typeof createLogCapture>;
  close(): Promise<void>;
};

/** A Vigil on a fresh database with captured logs, a controlled clock and test authentication. */
export async function startTestVigil(
  options: {
    environment?: Record<string, string>;
    extraRoutes?: AnyRouteDefinition[];
    staticFiles?: Map<string, StaticFile>;
    /** Replaces the test-caller authenticator (e.g. with the identity module's). */
    authenticate?: Authenticator;
    rateLimitStore?: RateLimitStore;
    /** Mount the identity module's routes (default); tests with their own identity doubles say false. */
    identityRoutes?: boolean;
    /** DNS answers for webhook receivers' host names. */
    webhookResolveHost?: ResolveHost;
  } = {},
): Promise<TestVigil> {
  const testDatabase = await createTestDatabase();
  const logs = createLogCapture();
  const clock = createControlledClock(new Date('2026-03-02T09:00:00Z'));
  const config = loadConfig({ VIGIL_PROFILE: 'test', LOG_LEVEL: 'info', PORT: '0', ...options.environment });
  try {
    const vigil = await createVigil({
      config,
      database: testDatabase.database,
      logDestination: logs.stream,
      clock,
      authenticate: options.authenticate ?? authenticateTestCaller,
      ...(options.rateLimitStore ? { rateLimitStore: options.rateLimitStore } : {}),
      withoutIdentityRoutes: options.identityRoutes === false,
      worker: false,
      staticFiles: options.staticFiles ?? TEST_STATIC_FILES,
      extraRoutes: options.extraRoutes ?? [],
      ...(options.webhookResolveHost ? { webhookResolveHost: options.webhookResolveHost } : {}),
    });
    return {
      vigil,
      testDatabase,
      clock,
      logs,
      async close() {
        await vigil.close();
        await testDatabase.close();
      },
    };
  } catch (error) {
    await testDatabase.close();
    throw error;
  }
}

/** The job handlers and recurring schedules a worker of this test server would run. */
export function testBackgroundJobs(server: TestVigil): ReturnType<typeof backgroundJobs> {
  const { database, config, logger, identity } = server.vigil;
  return backgroundJobs({ config, database, masterKey: Buffer.alloc(32), clock: server.clock, logger, identity });
}
