import fastifyCookie from '@fastify/cookie';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Bindings, ChildLoggerOptions, Logger } from 'pino';
import type { z } from 'zod';
import type { AuditAction } from '../../../contracts/audit-actions.ts';
import type { Config } from '../../config.ts';
import { authorize } from '../authz/authorize.ts';
import type { Authenticator } from '../authz/caller.ts';
import type { Database } from '../db/database.ts';
import type { Transaction } from '../db/database.ts';
import type { Clock } from '../clock.ts';
import type { RateLimiter, RouteRateLimit } from '../rate-limit/rate-limiter.ts';
import { AppError, type FieldError, isAppError } from '../errors/app-error.ts';
import { PROBLEM_CONTENT_TYPE, problemCodeForStatus, toProblemDocument } from '../errors/problem-document.ts';
import { createAccessLog } from '../log/access-log.ts';
import { LazyRequestLogger } from '../log/lazy-request-logger.ts';
import type { Metrics } from '../metrics/create-metrics.ts';
import type { AnyRouteDefinition, RouteAuditActor } from './define-route.ts';
import { RouteCall } from './route-call.ts';
import { parseJsonBody } from './parse-json-body.ts';
import { requestIdFrom } from './request-id.ts';
import { httpsServerOptions } from './tls.ts';
import { API_SECURITY_HEADERS, HSTS, SECURITY_HEADERS } from './security-headers.ts';

export const MAX_HEADER_BYTES = 16 * 1024;
/** Requests one client address may have in flight at once; more get 429 (cheap, per process). */
export const MAX_CONCURRENT_REQUESTS_PER_IP = 64;

export type HttpServerDependencies = {
  config: Config;
  database: Database;
  logger: Logger;
  metrics: Metrics;
  authenticate: Authenticator;
  routes: readonly AnyRouteDefinition[];
  clock: Clock;
  rateLimiter: RateLimiter;
  /** Writes one audit event inside the given transaction (the audit module provides it). */
  recordAudit: RecordAudit;
};

export type AuditRecord = {
  orgId: string | null;
  actor: RouteAuditActor;
  action: AuditAction;
  outcome: 'success' | 'denied' | 'failure';
  target: { type: string; id: string } | null;
  metadata: Record<string, unknown>;
  requestId: string;
  occurredAt: Date;
};
export type RecordAudit = (transaction: Transaction, record: AuditRecord) => Promise<unknown>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set on every route registered through registerRoute; a test asserts none lacks it. */
    vigil?: { permission: string; audit: AnyRouteDefinition['audit'] };
  }
  interface FastifyRequest {
    startedAt: bigint;
    countedInFlight: boolean;
  }
  interface FastifyInstance {
    registeredRoutes: { method: string | string[]; url: string; config: unknown }[];
  }
}

function fieldErrorsFrom(error: z.ZodError, location: 'params' | 'query' | 'body'): FieldError[] {
  return error.issues.map((issue) => ({
    pointer: `/${location}${issue.path.map((segment) => `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('')}`,
    message: issue.message,
  }));
}

function parsePart<S extends z.ZodType | undefined>(schema: S, value: unknown, location: 'params' | 'query' | 'body') {
  if (!schema) return { value: undefined, errors: [] as FieldError[] };
  const result = schema.safeParse(value ?? (location === 'body' ? undefined : {}));
  return result.success
    ? { value: result.data, errors: [] as FieldError[] }
    : { value: undefined, errors: fieldErrorsFrom(result.error, location) };
}

export function sendProblem(reply: FastifyReply, error: AppError): FastifyReply {
  for (const [name, value] of Object.entries(error.options.headers ?? {})) reply.header(name, value);
  return reply
    .code(error.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(
      toProblemDocument(error.code, {
        detail: error.detail,
        requestId: reply.request.id,
        errors: error.options.errors,
      }),
    );
}

/** Turns `/api/orgs/:orgId/deals` into a matcher for the 405 check. */
function routeMatcher(url: string): RegExp {
  const pattern = url
    .split('/')
    .map((segment) =>
      segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('/');
  // eslint-disable-next-line security/detect-non-literal-regexp -- built from our own route declarations, segments escaped
  return new RegExp(`^${pattern}$`);
}

/**
 * Builds the HTTP server: one pipeline for every route, as ARCHITECTURE.md describes —
 * request id → security headers → body limit + JSON parsing → zod validation → authenticate →
 * authorize → organisation-scoped transaction → handler; errors become problem documents.
 */
export function createHttpServer(dependencies: HttpServerDependencies): FastifyInstance {
  const { config, logger, metrics, routes } = dependencies;
  const hsts = config.hstsPreload ? `${HSTS}; preload` : HSTS;
  const https = config.tls ? httpsServerOptions(config.tls) : null;
  // The headers every response carries, set before anything else can answer.
  // Router-level errors get a request object without trust-proxy handling, so the scheme is
  // worked out here too: TLS on this socket, or a trusted proxy saying it terminated TLS.
  const cameOverTls = (request: FastifyRequest) => {
    if (request.protocol === 'https' || config.tls) return true;
    const trusted = config.trustProxy;
    const peer = request.raw.socket?.remoteAddress ?? '';
    const fromTrustedProxy =
      trusted === true || (Array.isArray(trusted) && trusted.includes(peer.replace(/^::ffff:/, '')));
    return fromTrustedProxy && request.headers['x-forwarded-proto'] === 'https';
  };
  const applyResponseHeaders = (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('x-request-id', request.id);
    reply.headers(request.url.startsWith('/api/') ? API_SECURITY_HEADERS : SECURITY_HEADERS);
    if (cameOverTls(request)) reply.header('strict-transport-security', hsts);
  };
  // HTTP/1.1, or HTTPS with HTTP/2 and HTTP/1.1 negotiated by ALPN. Fastify types the two server
  // kinds apart; the pipeline below is the same for both.
  const createFastify = Fastify as unknown as (options: Record<string, unknown>) => FastifyInstance;
  const app = createFastify({
    loggerInstance: logger,
    ...(https ? { https, http2: true } : {}),
    genReqId: (request: { headers: Record<string, string | string[] | undefined> }) =>
      requestIdFrom(request.headers['x-request-id']),
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
    // request.log is made on first use (most requests log nothing but the access line).
    childLoggerFactory: (parent: Logger, bindings: Bindings, options: ChildLoggerOptions) =>
      new LazyRequestLogger(parent, bindings, options),
    trustProxy: config.trustProxy,
    bodyLimit: config.bodyLimitBytes,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Slow-request protection: a client has 30 s to send a whole request.
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    keepAliveTimeout: 10_000,
    // Request line + headers beyond 16 KiB are refused with 431 before any parsing.
    http: { maxHeaderSize: MAX_HEADER_BYTES },
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200 },
    // Errors the router raises before any hook runs (a URL that does not decode). Fastify's own
    // answer would echo the URL back in JSON; ours is a problem document with the usual headers.
    frameworkErrors: (_error: unknown, request: FastifyRequest, reply: FastifyReply) => {
      applyResponseHeaders(request, reply);
      return sendProblem(reply, new AppError('bad-request', 'The URL is not valid.'));
    },
  });

  // The plugin only writes cookies (reply.setCookie for the web sessions). It does not parse them:
  // its parsing hook would run on every request, public routes and bearer requests included; the
  // identity module parses the Cookie header itself, only when it authenticates a request.
  void app.register(fastifyCookie, { hook: false });
  app.decorateRequest('startedAt', 0n);
  app.decorateRequest('countedInFlight', false);
  // The API speaks JSON only; anything else is a 415, not a string handed to a handler.
  app.removeContentTypeParser('text/plain');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  // Every route as Fastify registered it (including HEAD twins), for the declaration check.
  const registered: { method: string | string[]; url: string; config: unknown }[] = [];
  app.decorate('registeredRoutes', registered);
  app.addHook('onRoute', (options) => {
    registered.push({ method: options.method, url: options.url, config: options.config });
  });

  // Synchronous hooks with `done`: they run on every request, and an async hook costs a promise.
  // In-flight requests per client address: one client cannot hold every worker slot.
  const inFlight = new Map<string, number>();
  app.addHook('onRequest', (request, reply, done) => {
    request.startedAt = process.hrtime.bigint();
    applyResponseHeaders(request, reply);
    const current = inFlight.get(request.ip) ?? 0;
    if (current >= MAX_CONCURRENT_REQUESTS_PER_IP) {
      sendProblem(
        reply,
        new AppError('rate-limited', 'Too many requests in flight from your address.', {
          headers: { 'retry-after': '1' },
        }),
      );
      return;
    }
    inFlight.set(request.ip, current + 1);
    request.countedInFlight = true;
    done();
  });
  const release = (request: FastifyRequest) => {
    if (!request.countedInFlight) return;
    request.countedInFlight = false;
    const remaining = (inFlight.get(request.ip) ?? 1) - 1;
    if (remaining <= 0) inFlight.delete(request.ip);
    else inFlight.set(request.ip, remaining);
  };
  app.addHook('onRequestAbort', (request, done) => {
    release(request);
    done();
  });

  // One access-log line per request, written when it completes (Fastify's own request logging,
  // two lines per request, is disabled).
  const accessLog = createAccessLog(logger);
  app.addHook('onClose', (_instance, done) => {
    accessLog.flush();
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    release(request);
    const seconds = Number(process.hrtime.bigint() - request.startedAt) / 1e9;
    // routeOptions is a getter that builds a new object on every read: read it once.
    const routeUrl = request.routeOptions.url;
    metrics.observeRequest(
      { method: request.method, route: routeUrl ?? 'unmatched', status: reply.statusCode },
      seconds,
    );
    accessLog.write({
      requestId: request.id,
      method: request.method,
      url: request.url,
      route: routeUrl,
      ip: request.ip,
      statusCode: reply.statusCode,
      durationMs: Math.round(seconds * 1e6) / 1e3,
    });
    done();
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isAppError(error)) return sendProblem(reply, error);
    const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status >= 400 && status < 500) {
      // A framework-detected client error (malformed JSON, oversized body, bad content type).
      // Its message may quote the input, so only our fixed wording goes back.
      const code = problemCodeForStatus(status);
      const detail =
        error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'Send the body as application/json.'
          : error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
            ? 'The request body is larger than this route accepts.'
            : error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
              ? 'The body is empty but the content type says JSON.'
              : error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY'
                ? 'The body is not valid JSON.'
                : undefined;
      request.log.info({ errorCode: error.code, status }, 'client error');
      return sendProblem(reply, new AppError(code, detail));
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(reply, new AppError('internal'));
  });

  // The web app's catch-all GET would make every path look like it exists; leave it out.
  const matchers = routes
    .filter((route) => route.url !== '/*')
    .map((route) => ({ route, matcher: routeMatcher(route.url) }));
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const allowed: string[] = [
      ...new Set(matchers.filter(({ matcher }) => matcher.test(path)).map(({ route }) => route.method)),
    ];
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      if (allowed.includes('GET')) allowed.push('HEAD');
      return sendProblem(
        reply,
        new AppError('method-not-allowed', undefined, { headers: { allow: allowed.join(', ') } }),
      );
    }
    return sendProblem(reply, new AppError('not-found'));
  });

  // Routes after the cookie plugin so its request decorators apply to them.
  void app.after(() => {
    for (const route of routes) registerRoute(app, route, dependencies);
  });
  return app;
}

function registerRoute(
  app: FastifyInstance,
  route: AnyRouteDefinition,
  dependencies: Pick<HttpServerDependencies, 'database' | 'authenticate' | 'clock' | 'recordAudit' | 'rateLimiter'>,
): void {
  const needsOrganisation =
    route.permission !== 'public' && route.permission !== 'self' && !route.permission.startsWith('platform:');
  if (needsOrganisation && !route.url.includes('/:orgId/') && !route.url.endsWith('/:orgId')) {
    throw new Error(`route ${route.method} ${route.url} needs an organisation permission but has no :orgId`);
  }
  if (route.permission.startsWith('platform:') && !route.url.startsWith('/api/admin/')) {
    throw new Error(`route ${route.method} ${route.url} has a platform permission outside /api/admin/`);
  }
  const auditAction = 'action' in route.audit ? route.audit.action : null;
  const auditRefusals = 'action' in route.audit && route.audit.sensitive === true;
  const rateLimit: RouteRateLimit | null = route.rateLimit ?? (route.method === 'GET' ? null : { policy: 'mutation' });
  const routeId = `${route.method} ${route.url}`;

  app.route({
    method: route.method,
    url: route.url,
    ...(route.bodyLimit ? { bodyLimit: route.bodyLimit } : {}),
    config: { vigil: { permission: route.permission, audit: route.audit } },
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      // The path first (authorisation needs the organisation id); query and body only once the
      // caller is known, so an anonymous caller learns nothing about a protected route's schema.
      const params = parsePart(route.schema.params, request.params, 'params');
      if (params.errors.length > 0) {
        throw new AppError('validation-failed', 'Some fields are invalid; see `errors`.', { errors: params.errors });
      }
      const rawOrgId = (request.params as Record<string, unknown>).orgId;
      const pathOrgId = typeof rawOrgId === 'string' ? rawOrgId : undefined;
      const call = new RouteCall(dependencies, auditAction, request, reply, route.url);

      let caller: Awaited<ReturnType<Authenticator>> = null;
      let orgId: string | null;
      try {
        caller = route.permission === 'public' ? null : await dependencies.authenticate(request);
        call.auditUserId = caller?.userId ?? null;
        call.auditRole =
          caller?.platformAdmin && route.permission.startsWith('platform:')
            ? 'platform_admin'
            : (caller?.membership?.role ?? null);
        orgId = authorize({ permission: route.permission, caller, pathOrgId }).orgId;
      } catch (error) {
        if (auditRefusals && isAppError(error)) {
          // A member refused for their role is the organisation's business; anyone else probing
          // an organisation is the operator's (and must not be able to write into its chain).
          const memberOfPathOrganisation =
            caller?.membership?.orgId !== undefined && caller.membership.orgId === pathOrgId;
          call.auditMetadata = {
            ...call.auditMetadata,
            status: error.status,
            ...(pathOrgId && !memberOfPathOrganisation ? { orgId: pathOrgId } : {}),
          };
          await call.recordStandalone(memberOfPathOrganisation ? (pathOrgId as string) : null, 'denied');
        }
        throw error;
      }

      const query = parsePart(route.schema.query, request.query, 'query');
      const body = parsePart(route.schema.body, request.body, 'body');
      if (query.errors.length > 0 || body.errors.length > 0) {
        const errors = [...query.errors, ...body.errors];
        throw new AppError('validation-failed', 'Some fields are invalid; see `errors`.', { errors });
      }

      if (rateLimit) {
        const pending = dependencies.rateLimiter.check({
          limit: rateLimit,
          routeId,
          ip: request.ip,
          userId: caller?.userId ?? null,
          orgId,
          body: body.value,
        });
        // The memory store decides synchronously; only a real promise is awaited.
        const decision = pending instanceof Promise ? await pending : pending;
        reply.headers(decision.headers);
      }

      call.params = params.value;
      call.query = query.value;
      call.body = body.value;
      call.caller = caller;
      call.orgId = orgId;
      try {
        const result = await route.handler(call);
        if (auditAction && !call.auditWritten) await call.recordStandalone(orgId, 'success');
        return result;
      } catch (error) {
        if (auditRefusals && !call.auditWritten) {
          call.auditMetadata = { ...call.auditMetadata, status: isAppError(error) ? error.status : 500 };
          await call
            .recordStandalone(orgId, isAppError(error) && error.status === 403 ? 'denied' : 'failure')
            .catch((auditError: unknown) =>
              request.log.error({ err: auditError }, 'could not record the failed attempt'),
            );
        }
        throw error;
      }
    },
  });
}
