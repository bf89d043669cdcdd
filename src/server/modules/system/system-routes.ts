import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { type Status, statusSchema } from '../../../contracts/status.ts';
import type { Config } from '../../config.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Database } from '../../platform/db/database.ts';
import { readMigrationState } from '../../platform/db/migrations.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import { type AnyRouteDefinition, defineRoute } from '../../platform/http/define-route.ts';
import { buildOpenApiDocument } from '../../platform/http/openapi.ts';
import type { Metrics } from '../../platform/metrics/create-metrics.ts';
import type { RateLimitStore } from '../../platform/rate-limit/rate-limit-store.ts';

export type SystemRouteDependencies = {
  config: Config;
  database: Database;
  metrics: Metrics;
  clock: Clock;
  rateLimitStore: RateLimitStore;
  startedAt: Date;
  inProcessWorker: boolean;
  /** All routes of the server, for the OpenAPI document. */
  routes: () => readonly AnyRouteDefinition[];
};

const readinessSchema = z.object({
  status: z.enum(['ready', 'unready']),
  checks: z.object({
    database: z.enum(['ok', 'unreachable']),
    migrations: z.enum(['current', 'pending', 'unknown']),
    // Not part of readiness: without Redis, sign-in fails closed and other routes run unlimited.
    rateLimit: z.enum(['memory', 'redis', 'redis-unreachable']),
  }),
});

async function databaseVersion(database: Database): Promise<string | null> {
  try {
    const [row] = await database.query<{ server_version: string }>('SHOW server_version');
    return row?.server_version ?? null;
  } catch {
    return null;
  }
}

function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (!presented?.startsWith('Bearer ')) return false;
  const given = Buffer.from(presented.slice('Bearer '.length));
  const wanted = Buffer.from(expected);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

export function systemRoutes(dependencies: SystemRouteDependencies): AnyRouteDefinition[] {
  const { config, database, metrics, clock } = dependencies;
  let openApiDocument: string | null = null;

  return [
    defineRoute({
      method: 'GET',
      url: '/healthz',
      summary: 'Liveness: the process is up',
      tags: ['system'],
      permission: 'public',
      audit: { optOut: 'read-only probe' },
      schema: { responses: { 200: z.object({ status: z.literal('ok') }) } },
      handler: async () => ({ status: 'ok' as const }),
    }),
    defineRoute({
      method: 'GET',
      url: '/readyz',
      summary: 'Readiness: the database is reachable and fully migrated',
      description: 'Answers 503 with the failing checks while not ready, so load balancers route around the instance.',
      tags: ['system'],
      permission: 'public',
      audit: { optOut: 'read-only probe' },
      schema: { responses: { 200: readinessSchema, 503: readinessSchema } },
      handler: async ({ reply }) => {
        let databaseCheck: 'ok' | 'unreachable' = 'ok';
        let migrationsCheck: 'current' | 'pending' | 'unknown' = 'unknown';
        try {
          await database.query('SELECT 1');
          migrationsCheck = (await readMigrationState(database)).current ? 'current' : 'pending';
        } catch {
          databaseCheck = 'unreachable';
        }
        const ready = databaseCheck === 'ok' && migrationsCheck === 'current';
        reply.code(ready ? 200 : 503);
        const store = dependencies.rateLimitStore;
        const rateLimit = store.kind === 'memory' ? 'memory' : store.healthy() ? 'redis' : 'redis-unreachable';
        return {
          status: ready ? 'ready' : 'unready',
          checks: { database: databaseCheck, migrations: migrationsCheck, rateLimit },
        };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/metrics',
      summary: 'Prometheus metrics',
      description:
        'When METRICS_TOKEN is set, requires `Authorization: Bearer <METRICS_TOKEN>`. In production without a token it is not served.',
      tags: ['system'],
      permission: 'public',
      audit: { optOut: 'read-only scrape; protected by its own token' },
      schema: {
        responses: { 200: { contentType: 'text/plain; version=0.0.4', description: 'Prometheus exposition format' } },
      },
      handler: async ({ request, reply }) => {
        if (config.metricsToken) {
          if (!tokenMatches(request.headers.authorization, config.metricsToken)) {
            throw new AppError('unauthenticated', 'Present the metrics token as a Bearer token.');
          }
        } else if (config.profile === 'production') {
          throw new AppError('not-found');
        }
        reply.type(metrics.registry.contentType);
        return metrics.registry.metrics();
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/status',
      summary: 'Service status: version, database, migrations',
      tags: ['system'],
      permission: 'public',
      audit: { optOut: 'read-only, nothing tenant-specific' },
      schema: { responses: { 200: statusSchema } },
      handler: async () => {
        let reachable = true;
        let migrations: Status['migrations'] = { applied: [], pending: [], current: false };
        try {
          const state = await readMigrationState(database);
          migrations = {
            applied: state.applied.map((entry) => ({ name: entry.name, appliedAt: entry.appliedAt.toISOString() })),
            pending: state.pending,
            current: state.current,
          };
        } catch {
          reachable = false;
        }
        const now = clock.now();
        const status: Status = {
          service: 'vigil',
          version: config.version,
          profile: config.profile,
          database: {
            kind: database.kind,
            reachable,
            serverVersion: reachable ? await databaseVersion(database) : null,
          },
          migrations,
          worker: { inProcess: dependencies.inProcessWorker },
          uptimeSeconds: Math.max(0, Math.round((now.getTime() - dependencies.startedAt.getTime()) / 1000)),
          serverTime: now.toISOString(),
        };
        return status;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/openapi.json',
      summary: 'The OpenAPI 3.1 contract of this API',
      tags: ['system'],
      permission: 'public',
      audit: { optOut: 'read-only, public contract' },
      schema: { responses: { 200: { contentType: 'application/json', description: 'OpenAPI 3.1 document' } } },
      handler: async ({ reply }) => {
        openApiDocument ??= JSON.stringify(buildOpenApiDocument(dependencies.routes(), { version: config.version }));
        reply.type('application/json; charset=utf-8');
        return openApiDocument;
      },
    }),
  ];
}
