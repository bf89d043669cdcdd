import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditAction } from '../../../contracts/audit-actions.ts';
import type { Caller } from '../authz/caller.ts';
import type { Clock } from '../clock.ts';
import type { Database, Transaction } from '../db/database.ts';
import { withPlatformTransaction, withTenantTransaction } from '../db/tenant-transaction.ts';
import type { AuditRecord, RecordAudit } from './create-http-server.ts';
import type { RouteAuditActor, RouteContext } from './define-route.ts';

export type RouteCallDependencies = { database: Database; clock: Clock; recordAudit: RecordAudit };

type Work<T> = (transaction: Transaction) => Promise<T>;

/**
 * One request to a declared route, as its handler sees it (the RouteContext), with the draft of
 * the audit event the route's declaration writes. This runs for every request, so the methods
 * live on the prototype, and the functions a handler may destructure (`tenant`, `platform`) are
 * made only when it asks for them.
 */
export class RouteCall implements RouteContext<unknown, unknown, unknown> {
  params: unknown = undefined;
  query: unknown = undefined;
  body: unknown = undefined;
  caller: Caller | null = null;
  orgId: string | null = null;
  readonly requestId: string;
  readonly log: FastifyBaseLogger;
  readonly audit: RouteCallAudit;
  /** What the route's audit event will say; the handler adds target and metadata. */
  auditTarget: { type: string; id: string } | null = null;
  auditMetadata: Record<string, unknown> = {};
  auditUserId: string | null = null;
  auditRole: string | null = null;
  /** Whether the route's event has been written (at most one per request). */
  auditWritten = false;
  #tenant: RouteContext<unknown, unknown, unknown>['tenant'] | undefined;
  #platform: RouteContext<unknown, unknown, unknown>['platform'] | undefined;

  constructor(
    private readonly dependencies: RouteCallDependencies,
    /** The route's audit action, or null when it opted out. */
    private readonly auditAction: AuditAction | null,
    readonly request: FastifyRequest,
    readonly reply: FastifyReply,
    private readonly url: string,
  ) {
    this.requestId = request.id;
    this.log = request.log;
    this.audit = new RouteCallAudit(this);
  }

  get tenant(): RouteContext<unknown, unknown, unknown>['tenant'] {
    return (this.#tenant ??= <T>(work: Work<T>) => {
      if (!this.orgId)
        throw new Error(`route ${this.url} is not organisation-scoped; it cannot open a tenant transaction`);
      return this.inTransaction(this.orgId, work);
    });
  }

  get platform(): RouteContext<unknown, unknown, unknown>['platform'] {
    return (this.#platform ??= <T>(work: Work<T>) => this.inTransaction(null, work));
  }

  currentActor(): RouteAuditActor {
    const userAgent = this.request.headers['user-agent'];
    return {
      userId: this.auditUserId,
      role: this.auditRole,
      ip: this.request.ip,
      userAgent: typeof userAgent === 'string' ? userAgent : null,
    };
  }

  private auditRecord(orgId: string | null, outcome: AuditRecord['outcome']): AuditRecord {
    return {
      orgId,
      actor: this.currentActor(),
      action: this.auditAction as AuditAction,
      outcome,
      target: this.auditTarget,
      metadata: this.auditMetadata,
      requestId: this.requestId,
      occurredAt: this.dependencies.clock.now(),
    };
  }

  /** Runs `work` in the request's transaction; the route's success event commits with it. */
  private inTransaction<T>(scopeOrgId: string | null, work: Work<T>): Promise<T> {
    return this.transaction(scopeOrgId, async (transaction) => {
      const result = await work(transaction);
      if (this.auditAction && !this.auditWritten) {
        await this.dependencies.recordAudit(transaction, this.auditRecord(scopeOrgId, 'success'));
        this.auditWritten = true;
      }
      return result;
    });
  }

  /** Writes the route's event outside the handler's transaction (refusals, failures, handlers without one). */
  async recordStandalone(orgId: string | null, outcome: AuditRecord['outcome']): Promise<void> {
    this.auditWritten = true;
    await this.transaction(orgId, (transaction) =>
      this.dependencies.recordAudit(transaction, this.auditRecord(orgId, outcome)),
    );
  }

  /** A transaction in the organisation's scope, or the platform's when `orgId` is null. */
  private transaction<T>(orgId: string | null, work: Work<T>): Promise<T> {
    const scope = { userId: this.auditUserId, requestId: this.requestId };
    return orgId
      ? withTenantTransaction(this.dependencies.database, { ...scope, orgId }, work)
      : withPlatformTransaction(this.dependencies.database, scope, work);
  }
}

/** `context.audit`: details for the event the route's declaration writes. */
class RouteCallAudit {
  constructor(private readonly call: RouteCall) {}

  target(type: string, id: string): void {
    this.call.auditTarget = { type, id };
  }

  metadata(values: Record<string, unknown>): void {
    this.call.auditMetadata = { ...this.call.auditMetadata, ...values };
  }

  actor(userId: string): void {
    this.call.auditUserId = userId;
  }

  currentActor(): RouteAuditActor {
    return this.call.currentActor();
  }
}
