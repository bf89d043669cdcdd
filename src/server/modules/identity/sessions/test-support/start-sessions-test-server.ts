import { z } from 'zod';
import { startTestVigil, type TestVigil } from '../../../../../../test/helpers/test-vigil.ts';
import { defineRoute } from '../../../../platform/http/define-route.ts';
import { newId } from '../../../../platform/db/ids.ts';
import { organisationRoles, type OrganisationRole } from '../../../../../contracts/permissions.ts';
import { sessionRoutes } from '../session-routes.ts';
import { createSessionService, type SessionService } from '../session-service.ts';

export type SessionsTestServer = TestVigil & {
  sessions: SessionService;
  createUser(options?: { platformAdmin?: boolean; email?: string }): Promise<string>;
  createOrganisation(name?: string): Promise<string>;
  addMembership(options: { orgId: string; userId: string; role: OrganisationRole }): Promise<void>;
};

/**
 * A test Vigil with the real session service as its authenticator and the session routes, plus
 * test-only routes standing in for the accounts module (sign-in) and for an organisation route.
 */
export async function startSessionsTestServer(options: { environment?: Record<string, string> } = {}) {
  let service: SessionService | null = null;
  const current = () => {
    if (!service) throw new Error('session service not started');
    return service;
  };
  // Routes are fixed when the server starts, before the keyring exists: resolve the service lazily.
  const lazySessions = new Proxy({} as SessionService, {
    get: (_target, property) => current()[property as keyof SessionService],
  });
  const signInRoute = defineRoute({
    method: 'POST',
    url: '/api/test/sign-in',
    summary: 'test only: what accounts/ does after checking a password',
    tags: ['test'],
    permission: 'public',
    audit: { optOut: 'test route' },
    schema: {
      body: z.object({
        userId: z.uuid(),
        amr: z.array(z.enum(['pwd', 'otp', 'sso'])).default(['pwd']),
        orgId: z.uuid().nullable().optional(),
        cookies: z.boolean().default(false),
      }),
      responses: { 200: z.unknown() },
    },
    handler: async ({ body, request, reply }) => {
      const tokens = await current().startSession({
        userId: body.userId,
        amr: body.amr,
        orgId: body.orgId ?? null,
        ip: request.ip,
        userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null,
      });
      if (body.cookies) current().setSessionCookies(reply, tokens);
      return tokens;
    },
  });
  const whoAmIRoute = defineRoute({
    method: 'GET',
    url: '/api/orgs/:orgId/test-whoami',
    summary: 'test only: an organisation route',
    tags: ['test'],
    permission: 'org:read',
    audit: { optOut: 'test route' },
    schema: { params: z.object({ orgId: z.uuid() }), responses: { 200: z.unknown() } },
    handler: async ({ caller }) => ({ caller }),
  });
  const changeRoute = defineRoute({
    method: 'POST',
    url: '/api/orgs/:orgId/test-change',
    summary: 'test only: a state-changing organisation route',
    tags: ['test'],
    permission: 'org:read',
    audit: { optOut: 'test route' },
    schema: { params: z.object({ orgId: z.uuid() }), responses: { 200: z.unknown() } },
    handler: async () => ({ changed: true }),
  });
  const stepUpRoute = defineRoute({
    method: 'POST',
    url: '/api/me/test-sensitive',
    summary: 'test only: a step-up-protected action',
    tags: ['test'],
    permission: 'self',
    audit: { optOut: 'test route' },
    schema: { responses: { 200: z.unknown() } },
    handler: async ({ caller }) => {
      await current().requireRecentSecondFactor({ sessionId: caller?.sessionId ?? null });
      return { done: true };
    },
  });

  const server = await startTestVigil({
    identityRoutes: false,
    environment: options.environment,
    authenticate: (request) => current().authenticate(request),
    extraRoutes: [...sessionRoutes({ sessions: lazySessions }), signInRoute, whoAmIRoute, changeRoute, stepUpRoute],
  });
  service = createSessionService({
    database: server.vigil.database,
    keyring: server.vigil.keyring,
    clock: server.clock,
    config: server.vigil.config,
  });
  await service.start();
  const { adminQuery } = server.testDatabase;
  let counter = 0;
  const sessions = service;
  const result: SessionsTestServer = {
    ...server,
    sessions: service,
    async close() {
      await sessions.stop();
      await server.close();
    },
    async createUser(userOptions = {}) {
      const id = newId();
      counter += 1;
      const email = userOptions.email ?? `user${counter}-${id.slice(-6)}@example.test`;
      const now = server.clock.now().toISOString();
      await adminQuery(
        `INSERT INTO users (id, email, email_normalised, email_verified_at, platform_admin, tokens_valid_after, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $4, $4, $4)`,
        [id, email, email.toLowerCase(), now, userOptions.platformAdmin ?? false],
      );
      return id;
    },
    async createOrganisation(name = 'Org') {
      const id = newId();
      await adminQuery('INSERT INTO organisations (id, slug, name) VALUES ($1, $2, $3)', [id, `org-${id}`, name]);
      return id;
    },
    async addMembership({ orgId, userId, role }) {
      if (!organisationRoles.includes(role)) throw new Error(role);
      await adminQuery('INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)', [
        orgId,
        userId,
        role,
        server.clock.now().toISOString(),
      ]);
    },
  };
  return result;
}

/** The cookies a response set, by name, with their attributes as the raw header text. */
export function setCookiesOf(headers: Record<string, unknown>): Map<string, { value: string; raw: string }> {
  const raw = headers['set-cookie'];
  const list = Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : [];
  const cookies = new Map<string, { value: string; raw: string }>();
  for (const line of list) {
    const [pair] = line.split(';');
    const index = (pair ?? '').indexOf('=');
    cookies.set((pair ?? '').slice(0, index), { value: decodeURIComponent((pair ?? '').slice(index + 1)), raw: line });
  }
  return cookies;
}

/** A Cookie request header from name/value pairs. */
export function cookieHeader(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([name, value]) => `${name}=${value}`)
    .join('; ');
}
