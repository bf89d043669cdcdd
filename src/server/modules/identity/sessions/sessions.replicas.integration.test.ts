// Attack: a session revoked through one replica keeps working on another, whose cache still
// holds it as active (load balancers spread a stolen token's requests over every replica).
// Revocation must reach every process: PostgreSQL NOTIFY from the migration-0009 triggers to each
// process's LISTEN connection; while that connection is down, nothing is cached.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogCapture } from '../../../../../test/helpers/test-vigil.ts';
import { testDatabaseKind } from '../../../../../test/helpers/test-database.ts';
import { createVigil, type Vigil } from '../../../main.ts';
import type { OrganisationRole } from '../../../../contracts/permissions.ts';
import type { Database } from '../../../platform/db/database.ts';
import { openDatabase } from '../../../platform/db/open-database.ts';
import type { SessionTokens } from './session-cookies.ts';
import { type SessionsTestServer, startSessionsTestServer } from './test-support/start-sessions-test-server.ts';

describe.skipIf(testDatabaseKind !== 'postgres')('revocation across replicas on one PostgreSQL database', () => {
  let replicaA: SessionsTestServer;
  let replicaB: Vigil;
  let databaseB: Database;

  beforeAll(async () => {
    replicaA = await startSessionsTestServer();
    ({ database: databaseB } = await openDatabase(replicaA.testDatabase.databaseConfig, { migrate: false }));
    replicaB = await createVigil({
      config: replicaA.vigil.config,
      database: databaseB,
      clock: replicaA.clock,
      worker: false,
      logDestination: createLogCapture().stream,
    });
  });

  afterAll(async () => {
    await replicaB?.close();
    await databaseB?.close();
    await replicaA?.close();
  });

  async function signInOnA(userId: string, orgId: string | null = null): Promise<SessionTokens> {
    const response = await replicaA.vigil.app.inject({
      method: 'POST',
      url: '/api/test/sign-in',
      payload: { userId, amr: ['pwd'], orgId },
    });
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as SessionTokens;
  }

  /**
   * A member of a new organisation, signed in on A, and their deals request on B: B caches the
   * member's state on their first request there, so a later change must reach B by notification.
   */
  async function memberSignedInOnA(role: OrganisationRole) {
    const userId = await replicaA.createUser();
    const orgId = await replicaA.createOrganisation();
    await replicaA.addMembership({ orgId, userId, role });
    const tokens = await signInOnA(userId, orgId);
    const dealsOnB = () =>
      replicaB.app.inject({
        method: 'GET',
        url: `/api/orgs/${orgId}/deals`,
        headers: { authorization: `Bearer ${tokens.accessToken}` },
      });
    return { userId, orgId, dealsOnB };
  }

  const sessionsOnB = (accessToken: string) =>
    replicaB.app.inject({
      method: 'GET',
      url: '/api/me/sessions',
      headers: { authorization: `Bearer ${accessToken}` },
    });

  it('revoke on A: B, which had the session cached, refuses it once the notification arrives', async () => {
    const userId = await replicaA.createUser();
    const tokens = await signInOnA(userId);
    expect((await sessionsOnB(tokens.accessToken)).statusCode).toBe(200);
    expect(replicaB.identity.sessions.cache.stats()).toMatchObject({ stateCaching: true });
    expect(replicaB.identity.sessions.cache.stats().states).toBeGreaterThan(0);

    const notifiedOnB = replicaB.identity.sessions.nextChange(userId);
    const signOut = await replicaA.vigil.app.inject({
      method: 'POST',
      url: '/api/auth/sign-out',
      headers: { authorization: `Bearer ${tokens.accessToken}` },
      payload: {},
    });
    expect(signOut.json()).toEqual({ sessionsEnded: 1 });
    // A refuses at once (in-process invalidation); B as soon as it hears of it.
    expect(
      (
        await replicaA.vigil.app.inject({
          method: 'GET',
          url: '/api/me/sessions',
          headers: { authorization: `Bearer ${tokens.accessToken}` },
        })
      ).statusCode,
    ).toBe(401);
    await notifiedOnB;
    expect((await sessionsOnB(tokens.accessToken)).statusCode).toBe(401);
  });

  it('a role change committed on A reaches B’s next request after the notification', async () => {
    const { userId, orgId, dealsOnB: deals } = await memberSignedInOnA('org_admin');
    expect((await deals()).statusCode).toBe(200);
    const notifiedOnB = replicaB.identity.sessions.nextChange(userId);
    await replicaA.testDatabase.adminQuery('DELETE FROM memberships WHERE org_id = $1 AND user_id = $2', [
      orgId,
      userId,
    ]);
    replicaA.sessions.invalidate({ orgId, userId });
    await notifiedOnB;
    expect((await deals()).statusCode).toBe(404);
  });

  it('an organisation suspended on A is closed on B as soon as the notification arrives, and reopened', async () => {
    const { orgId, dealsOnB: deals } = await memberSignedInOnA('viewer');
    // B has the member's state cached; the test clock stands still, so only a notification
    // (migration 0011) can make B read it again.
    expect((await deals()).statusCode).toBe(200);
    expect(replicaB.identity.sessions.cache.stats().states).toBeGreaterThan(0);

    const suspendedOnB = replicaB.identity.sessions.nextOrganisationChange(orgId);
    await replicaA.testDatabase.adminQuery('UPDATE organisations SET suspended_at = now() WHERE id = $1', [orgId]);
    replicaA.sessions.invalidate({ orgId });
    await suspendedOnB;
    expect((await deals()).statusCode).toBe(404);

    const unsuspendedOnB = replicaB.identity.sessions.nextOrganisationChange(orgId);
    await replicaA.testDatabase.adminQuery('UPDATE organisations SET suspended_at = NULL WHERE id = $1', [orgId]);
    await unsuspendedOnB;
    expect((await deals()).statusCode).toBe(200);
  });

  it('caches nothing while the notification connection is down, and resumes when it is back', async () => {
    const userId = await replicaA.createUser();
    const tokens = await signInOnA(userId);
    expect((await sessionsOnB(tokens.accessToken)).statusCode).toBe(200);
    // Every listening connection of this database drops (a failover, a proxy restart).
    await replicaA.testDatabase.adminQuery(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = 'vigil-listen'`,
    );
    await vi.waitFor(() => expect(replicaB.identity.sessions.cache.stats().stateCaching).toBe(false), {
      timeout: 5000,
    });
    // A change nobody hears about: B reads the database, as nothing is cached.
    await replicaA.testDatabase.adminQuery(
      "UPDATE sessions SET revoked_at = now(), revoked_reason = 'test' WHERE id = $1",
      [tokens.sessionId],
    );
    expect((await sessionsOnB(tokens.accessToken)).statusCode).toBe(401);
    await vi.waitFor(() => expect(replicaB.identity.sessions.cache.stats().stateCaching).toBe(true), {
      timeout: 5000,
    });
  });
});
