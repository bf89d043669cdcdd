import { eq } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '../../../../../../test/helpers/test-database.ts';
import { createLogCapture, TEST_STATIC_FILES } from '../../../../../../test/helpers/test-vigil.ts';
import { loadConfig } from '../../../../config.ts';
import { createVigil, type Vigil } from '../../../../main.ts';
import { type ControlledClock, createControlledClock } from '../../../../platform/clock.ts';
import { createKeyring } from '../../../../platform/crypto/keyring.ts';
import { newId } from '../../../../platform/db/ids.ts';
import { users } from '../../../../platform/db/schema.ts';
import { withPlatformTransaction } from '../../../../platform/db/tenant-transaction.ts';
import { createSecondFactor } from '../create-second-factor.ts';
import { mfaRoutes } from '../mfa-routes.ts';
import { totpCodeAt } from '../totp-code.ts';
import { createFakeSessions } from './fake-sessions.ts';

/**
 * A Vigil with the MFA routes wired to fake session seams, on a fresh test database (PGlite or
 * PostgreSQL per VIGIL_TEST_DB), with a controlled clock and captured logs. Test-only.
 */
export async function startMfaTestServer() {
  const testDatabase: TestDatabase = await createTestDatabase();
  const { database } = testDatabase;
  const clock: ControlledClock = createControlledClock(new Date('2026-03-02T09:00:10Z'));
  const logs = createLogCapture();
  const config = loadConfig({ VIGIL_PROFILE: 'test', LOG_LEVEL: 'info', PORT: '0' });
  const keyring = createKeyring({ database, masterKey: config.masterKey as Buffer });
  const fake = createFakeSessions({ database, clock });
  const { authenticate, ...sessionSeams } = fake.seams;
  let vigil: Vigil;
  try {
    vigil = await createVigil({
      config,
      database,
      logDestination: logs.stream,
      clock,
      authenticate,
      worker: false,
      withoutIdentityRoutes: true,
      staticFiles: TEST_STATIC_FILES,
      extraRoutes: mfaRoutes({ database, keyring, clock, authenticate, ...sessionSeams }),
    });
  } catch (error) {
    await testDatabase.close();
    throw error;
  }
  const secondFactor = createSecondFactor({ database, clock });

  async function createUser(options: { platformAdmin?: boolean } = {}) {
    const id = newId();
    const email = `user-${id}@example.test`;
    await withPlatformTransaction(database, { userId: null, requestId: 'seed' }, (transaction) =>
      transaction.insert(users).values({
        id,
        email,
        emailNormalised: email,
        emailVerifiedAt: clock.now(),
        platformAdmin: options.platformAdmin ?? false,
        tokensValidAfter: new Date(0),
        createdAt: clock.now(),
        updatedAt: clock.now(),
      }),
    );
    return { id, email };
  }

  const inject = vigil.app.inject.bind(vigil.app);

  /** Signs a user in, enrols and confirms TOTP through the routes; returns the secret and codes. */
  async function enrolUser(options: { platformAdmin?: boolean } = {}) {
    const user = await createUser(options);
    const signedIn = await fake.signIn(user.id);
    const started = await inject({ method: 'POST', url: '/api/me/mfa/totp', headers: signedIn.headers });
    if (started.statusCode !== 201) throw new Error(`enrolment failed: ${started.body}`);
    const secretBase32 = started.json<{ secretBase32: string }>().secretBase32;
    const confirmed = await inject({
      method: 'POST',
      url: '/api/me/mfa/totp/confirm',
      headers: signedIn.headers,
      payload: { code: totpCodeAt({ secretBase32, time: clock.now() }) },
    });
    if (confirmed.statusCode !== 200) throw new Error(`confirmation failed: ${confirmed.body}`);
    const body = confirmed.json<{ recoveryCodes: string[]; session: { accessToken: string } }>();
    // The code just used burnt this step: move to the next one so tests start clean.
    clock.advance(30_000);
    return {
      user,
      secretBase32,
      recoveryCodes: body.recoveryCodes,
      headers: fake.bearer(body.session),
    };
  }

  return {
    vigil,
    inject,
    testDatabase,
    database,
    keyring,
    clock,
    logs,
    fake,
    secondFactor,
    createUser,
    enrolUser,
    /** The code an authenticator app shows now (or at `time`). */
    codeFor: (secretBase32: string, time: Date = clock.now()) => totpCodeAt({ secretBase32, time }),
    async setPlatformAdmin(userId: string, platformAdmin: boolean) {
      await withPlatformTransaction(database, { userId: null, requestId: 'seed' }, (transaction) =>
        transaction.update(users).set({ platformAdmin }).where(eq(users.id, userId)),
      );
    },
    async close() {
      await vigil.close();
      await testDatabase.close();
    },
  };
}

export type MfaTestServer = Awaited<ReturnType<typeof startMfaTestServer>>;
