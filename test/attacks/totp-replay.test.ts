// Attack: someone who sees a TOTP code being typed (shoulder surfing, a phishing proxy, a logged
// request) submits it again — later, or racing the victim at the same instant — to sign in or to
// pass a step-up. Each time step must be usable once per user, also under concurrent submissions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type MfaTestServer,
  startMfaTestServer,
} from '../../src/server/modules/identity/mfa/test-doubles/start-mfa-test-server.ts';
import { testDatabaseKind } from '../helpers/test-database.ts';

let server: MfaTestServer;

beforeAll(async () => {
  server = await startMfaTestServer();
});

afterAll(async () => {
  await server?.close();
});

async function challengeFor(userId: string) {
  return (await server.secondFactor.createChallenge({ userId, ip: null, userAgent: null })).challengeToken;
}

async function verify(userId: string, code: string) {
  return server.inject({
    method: 'POST',
    url: '/api/auth/mfa/verify',
    payload: { challengeToken: await challengeFor(userId), code },
  });
}

describe(`TOTP replay (${testDatabaseKind})`, () => {
  it('refuses a code already used to sign in, for sign-in and for step-up, for as long as it is in the window', async () => {
    const { user, secretBase32, headers } = await server.enrolUser();
    const code = server.codeFor(secretBase32);
    expect((await verify(user.id, code)).statusCode).toBe(200);
    // Two rounds only: each replay counts as a wrong code, and the fifth would lock the account.
    for (const wait of [0, 25_000]) {
      server.clock.advance(wait);
      const replayed = await verify(user.id, code);
      expect(replayed.statusCode).toBe(400);
      expect(replayed.json().type).toBe('/problems/invalid-mfa-code');
      const stepUp = await server.inject({ method: 'POST', url: '/api/auth/step-up', headers, payload: { code } });
      expect(stepUp.statusCode).toBe(400);
    }
  });

  it('refuses the code that confirmed the enrolment', async () => {
    const user = await server.createUser();
    const { headers } = await server.fake.signIn(user.id);
    const { secretBase32 } = (await server.inject({ method: 'POST', url: '/api/me/mfa/totp', headers })).json<{
      secretBase32: string;
    }>();
    const code = server.codeFor(secretBase32);
    const confirmed = await server.inject({
      method: 'POST',
      url: '/api/me/mfa/totp/confirm',
      headers,
      payload: { code },
    });
    expect(confirmed.statusCode).toBe(200);
    expect((await verify(user.id, code)).statusCode).toBe(400);
  });

  it('refuses an earlier step once a later one was used (a code captured before the victim typed a newer one)', async () => {
    const { user, secretBase32 } = await server.enrolUser();
    server.clock.advance(60_000);
    const now = server.clock.now().getTime();
    const earlier = server.codeFor(secretBase32, new Date(now - 30_000));
    const later = server.codeFor(secretBase32, new Date(now + 30_000));
    expect((await verify(user.id, later)).statusCode).toBe(200);
    if (earlier !== later) expect((await verify(user.id, earlier)).statusCode).toBe(400);
    if (server.codeFor(secretBase32) !== later)
      expect((await verify(user.id, server.codeFor(secretBase32))).statusCode).toBe(400);
  });

  it('lets exactly one of several concurrent sign-ins with the same code through', async () => {
    const { user, secretBase32 } = await server.enrolUser();
    const code = server.codeFor(secretBase32);
    const challenges = await Promise.all(Array.from({ length: 6 }, () => challengeFor(user.id)));
    const before = server.fake.started.length;
    const results = await Promise.all(
      challenges.map((challengeToken) =>
        server.inject({ method: 'POST', url: '/api/auth/mfa/verify', payload: { challengeToken, code } }),
      ),
    );
    const statuses = results.map((result) => result.statusCode).sort();
    expect(statuses).toEqual([200, 400, 400, 400, 400, 400]);
    expect(server.fake.started.length - before).toBe(1);
  });

  it('lets exactly one of two concurrent step-ups with the same code through', async () => {
    const { user, secretBase32 } = await server.enrolUser();
    const victim = await server.fake.signIn(user.id);
    const attacker = await server.fake.signIn(user.id);
    const code = server.codeFor(secretBase32);
    const results = await Promise.all(
      [victim, attacker].map(({ headers }) =>
        server.inject({ method: 'POST', url: '/api/auth/step-up', headers, payload: { code } }),
      ),
    );
    expect(results.map((result) => result.statusCode).sort()).toEqual([200, 400]);
  });

  it('keeps the replay guard in the database: the stored step only moves forward', async () => {
    const { user, secretBase32 } = await server.enrolUser();
    const [{ last_used_step: before } = { last_used_step: '0' }] = await server.testDatabase.adminQuery<{
      last_used_step: string;
    }>('SELECT last_used_step FROM mfa_totp WHERE user_id = $1', [user.id]);
    expect((await verify(user.id, server.codeFor(secretBase32))).statusCode).toBe(200);
    const [after] = await server.testDatabase.adminQuery<{ last_used_step: string }>(
      'SELECT last_used_step FROM mfa_totp WHERE user_id = $1',
      [user.id],
    );
    expect(Number(after?.last_used_step)).toBe(Number(before) + 1);
  });
});
