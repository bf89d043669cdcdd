import type { AuditAction } from '../../../contracts/audit-actions.ts';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { RoutePermission } from '../authz/authorize.ts';
import type { Caller } from '../authz/caller.ts';
import type { Transaction } from '../db/database.ts';
import type { RouteRateLimit } from '../rate-limit/rate-limiter.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Every route says what it audits, or why it does not: audit coverage is decided when the route
 * is written, not discovered later. Actions are stable dotted names (`member.role_changed`).
 */
export type RouteAudit =
  | {
      action: AuditAction;
      /** Also record refused attempts (401/403/404) and failures, not only successes. */
      sensitive?: boolean;
    }
  | { optOut: string };

/** Who an audit event says acted: the shape the audit log stores. */
export type RouteAuditActor = {
  userId: string | null;
  role: string | null;
  ip: string | null;
  userAgent: string | null;
};

export type RouteContext<Params, Query, Body> = {
  params: Params;
  query: Query;
  body: Body;
  requestId: string;
  caller: Caller | null;
  /** The organisation this request is authorised for (routes under /api/orgs/:orgId). */
  orgId: string | null;
  log: FastifyBaseLogger;
  request: FastifyRequest;
  reply: FastifyReply;
  /**
   * Runs `work` in the organisation-scoped transaction of this request. Only routes with an
   * organisation permission have one; nothing else may open a tenant transaction.
   */
  tenant<T>(work: (transaction: Transaction) => Promise<T>): Promise<T>;
  /** Runs `work` in a platform transaction (no organisation): platform routes and sign-in flows. */
  platform<T>(work: (transaction: Transaction) => Promise<T>): Promise<T>;
  /** Details for the audit event the route's declaration writes. */
  audit: {
    target(type: string, id: string): void;
    metadata(values: Record<string, unknown>): void;
    /** For public routes (sign-in): the user the event is about, once known. */
    actor(userId: string): void;
    /**
     * The actor the route's own event records (the caller, or the user set with `actor`, with
     * their role, IP and user agent), for further events a service writes in the same request.
     */
    currentActor(): RouteAuditActor;
  };
};

type AnySchema = z.ZodType;
type Infer<S> = S extends AnySchema ? z.output<S> : undefined;

export type RouteDefinition<
  ParamsSchema extends AnySchema | undefined = AnySchema | undefined,
  QuerySchema extends AnySchema | undefined = AnySchema | undefined,
  BodySchema extends AnySchema | undefined = AnySchema | undefined,
> = {
  method: HttpMethod;
  url: string;
  summary: string;
  description?: string;
  tags: string[];
  permission: RoutePermission;
  audit: RouteAudit;
  /**
   * Token-bucket limit. Defaults: `{ policy: 'mutation' }` for POST/PUT/PATCH/DELETE, none for
   * GET. Authentication routes declare `{ policy: 'auth', identifier }`.
   */
  rateLimit?: RouteRateLimit;
  /** Bytes; defaults to the installation's BODY_LIMIT_BYTES. */
  bodyLimit?: number;
  /** Left out of the OpenAPI document (static files, SPA fallback). */
  hidden?: boolean;
  schema: {
    params?: ParamsSchema;
    query?: QuerySchema;
    body?: BodySchema;
    /** Success responses by status; problem responses are documented for every route. */
    responses: Record<number, AnySchema | { contentType: string; description: string }>;
  };
  handler(context: RouteContext<Infer<ParamsSchema>, Infer<QuerySchema>, Infer<BodySchema>>): Promise<unknown>;
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the registry holds routes of every schema shape
export type AnyRouteDefinition = RouteDefinition<any, any, any>;

/** Identity function that gives a route definition its inferred types. */
export function defineRoute<
  ParamsSchema extends AnySchema | undefined = undefined,
  QuerySchema extends AnySchema | undefined = undefined,
  BodySchema extends AnySchema | undefined = undefined,
>(
  definition: RouteDefinition<ParamsSchema, QuerySchema, BodySchema>,
): RouteDefinition<ParamsSchema, QuerySchema, BodySchema> {
  return definition;
}
