import { startTestVigil, type TestVigil } from '../../../../test/helpers/test-vigil.ts';
import type { OrganisationRole } from '../../../contracts/permissions.ts';
import type { Caller } from '../../platform/authz/caller.ts';
import { newId } from '../../platform/db/ids.ts';
import type { AuthenticationMethod } from '../identity/identity-types.ts';
import { outboxBodyPlace } from '../identity/mail/create-mailer.ts';

export type OrganisationsTestServer = TestVigil & {
  /** A verified account (no password: tests sign in through the session service directly). */
  createUser(options?: { email?: string; platformAdmin?: boolean; verified?: boolean }): Promise<{
    id: string;
    email: string;
  }>;
  /** Bearer headers of a fresh session, scoped to `orgId` when given. */
  signIn(
    userId: string,
    options?: { orgId?: string; amr?: AuthenticationMethod[] },
  ): Promise<{ authorization: string; sessionId: string; refreshToken: string }>;
  addMembership(options: { orgId: string; userId: string; role: OrganisationRole }): Promise<void>;
  /** The text of the newest mail to `email` (read from the development outbox). */
  lastMailTextTo(email: string): Promise<string>;
  /** The newest invitation token mailed to `email`. */
  invitationTokenFor(email: string): Promise<string>;
  mailCount(email: string): Promise<number>;
  /** One request through the real pipeline as `headers`' caller: status, parsed body and raw text. */
  call(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    headers: CallerHeaders | null,
    payload?: object,
  ): Promise<Reply>;
  /** Gives the user a confirmed authenticator (a placeholder secret: tests sign in with `amr` instead). */
  enableMfa(userId: string): Promise<void>;
  /**
   * A platform admin as they always are: with MFA, signed in with a second factor. `signInAgain`
   * opens a fresh session, for after the clock has moved past the access token's lifetime.
   */
  createPlatformAdmin(): Promise<PlatformAdmin>;
  /** An organisation created through the API by `owner`, with the owner's organisation-scoped headers. */
  createOrganisation(owner: { id: string }, name: string): Promise<{ orgId: string; ownerHeaders: CallerHeaders }>;
};

export type CallerHeaders = { authorization: string };
export type Reply = { status: number; body: Record<string, unknown> & { type?: string }; text: string };
export type PlatformAdmin = {
  id: string;
  email: string;
  headers: CallerHeaders & { sessionId: string; refreshToken: string };
  signInAgain(): Promise<CallerHeaders>;
};

/** A test Vigil with the real identity module as its authenticator. */
export async function startOrganisationsTestServer(): Promise<OrganisationsTestServer> {
  let vigil: TestVigil['vigil'] | null = null;
  const server = await startTestVigil({
    authenticate: (request) => {
      if (!vigil) throw new Error('not started');
      return vigil.identity.sessions.authenticate(request) as Promise<Caller | null>;
    },
  });
  vigil = server.vigil;
  const { adminQuery } = server.testDatabase;
  let counter = 0;
  const lastMailTextTo = async (email: string) => {
    const [row] = await adminQuery<{ id: string; body_text: string }>(
      'SELECT id, body_text FROM mail_outbox WHERE to_address = $1 ORDER BY created_at DESC, id DESC LIMIT 1',
      [email],
    );
    if (!row) throw new Error(`no mail to ${email}`);
    return server.vigil.keyring.openText(row.body_text, outboxBodyPlace(row.id));
  };
  const call: OrganisationsTestServer['call'] = async (method, url, headers, payload) => {
    const response = await server.vigil.app.inject({
      method,
      url,
      headers: headers ? { authorization: headers.authorization } : {},
      ...(payload ? { payload } : {}),
    });
    return { status: response.statusCode, body: response.json() as Reply['body'], text: response.body };
  };
  const enableMfa = async (userId: string) => {
    await adminQuery(
      "INSERT INTO mfa_totp (user_id, secret_sealed, recovery_code_key_sealed, confirmed_at, created_at) VALUES ($1, 'x', 'x', now(), now())",
      [userId],
    );
  };
  const testServer: OrganisationsTestServer = {
    ...server,
    call,
    enableMfa,
    async createPlatformAdmin() {
      const admin = await testServer.createUser({ platformAdmin: true });
      await enableMfa(admin.id);
      const signInWithOtp = () => testServer.signIn(admin.id, { amr: ['pwd', 'otp'] });
      return { ...admin, headers: await signInWithOtp(), signInAgain: signInWithOtp };
    },
    async createOrganisation(owner, name) {
      const created = await call('POST', '/api/orgs', await testServer.signIn(owner.id), { name });
      if (created.status !== 201) throw new Error(`could not create organisation ${name}: ${created.text}`);
      const orgId = created.body.id as string;
      return { orgId, ownerHeaders: await testServer.signIn(owner.id, { orgId }) };
    },
    async createUser(options = {}) {
      counter += 1;
      const id = newId();
      const email = options.email ?? `person${counter}-${id.slice(-6)}@example.test`;
      const now = server.clock.now().toISOString();
      await adminQuery(
        `INSERT INTO users (id, email, email_normalised, email_verified_at, platform_admin, tokens_valid_after, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $6)`,
        [id, email, email.toLowerCase(), options.verified === false ? null : now, options.platformAdmin ?? false, now],
      );
      return { id, email };
    },
    async signIn(userId, options = {}) {
      const tokens = await server.vigil.identity.sessions.startSession({
        userId,
        amr: options.amr ?? ['pwd'],
        orgId: options.orgId ?? null,
        ip: '203.0.113.7',
        userAgent: 'organisations-test',
      });
      return {
        authorization: `Bearer ${tokens.accessToken}`,
        sessionId: tokens.sessionId,
        refreshToken: tokens.refreshToken,
      };
    },
    async addMembership({ orgId, userId, role }) {
      await adminQuery('INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)', [
        orgId,
        userId,
        role,
        server.clock.now().toISOString(),
      ]);
    },
    lastMailTextTo,
    async invitationTokenFor(email) {
      const text = await lastMailTextTo(email);
      const token = /#token=([A-Za-z0-9_-]+)/.exec(text)?.[1];
      if (!token) throw new Error(`no invitation link in mail to ${email}`);
      return token;
    },
    async mailCount(email) {
      const [row] = await adminQuery<{ count: number }>(
        'SELECT count(*)::int AS count FROM mail_outbox WHERE to_address = $1',
        [email],
      );
      return row?.count ?? 0;
    },
  };
  return testServer;
}
