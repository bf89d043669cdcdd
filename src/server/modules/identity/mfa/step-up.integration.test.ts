// Step-up: a session left open (or stolen) must not turn MFA off, replace recovery codes or do any
// other sensitive action without a code entered in the last 10 minutes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../../../../../test/helpers/test-database.ts';
import { type MfaTestServer, startMfaTestServer } from './test-doubles/start-mfa-test-server.ts';

let server: MfaTestServer;

beforeAll(async () => {
  server = await startMfaTestServer();
});

afterAll(async () => {
  await server?.close();
});

function stepUp(headers: Record<string, string>, payload: Record<string, unknown>) {
  return server.inject({ method: 'POST', url: '/api/auth/step-up', headers, payload });
}

describe(`step-up (${testDatabaseKind})`, () => {
  it('re-issues the session with a fresh otp time; sensitive actions work for 10 minutes, not 11', async () => {
    const { user, secretBase32 } = await server.enrolUser();
    // A password-only session (as after sign-in without MFA prompt data, or an old session).
    const session = await server.fake.signIn(user.id, ['pwd']);
    const before = await server.inject({ method: 'POST', url: '/api/me/mfa/recovery-codes', headers: session.headers });
    expect(before.statusCode).toBe(403);
    expect(before.json().type).toBe('/problems/step-up-required');

    const response = await stepUp(session.headers, { code: server.codeFor(secretBase32) });
    expect(response.statusCode).toBe(200);
    expect(response.headers['set-cookie']).toMatch(/vigil_access=/);
    expect(server.fake.recorded.at(-1)).toBe(session.tokens.sessionId);
    const fresh = server.fake.sessions.get(session.tokens.sessionId);
    expect(fresh?.amr).toEqual(['pwd', 'otp']);
    expect(fresh?.otpAt?.getTime()).toBe(server.clock.now().getTime());
    const headers = server.fake.bearer(response.json<{ accessToken: string }>());

    server.clock.advance(9 * 60_000);
    expect((await server.inject({ method: 'POST', url: '/api/me/mfa/recovery-codes', headers })).statusCode).toBe(200);

    server.clock.advance(2 * 60_000);
    const late = await server.inject({ method: 'POST', url: '/api/me/mfa/recovery-codes', headers });
    expect(late.statusCode).toBe(403);
    expect(late.json().type).toBe('/problems/step-up-required');
    const late2 = await server.inject({ method: 'DELETE', url: '/api/me/mfa/totp', headers });
    expect(late2.json().type).toBe('/problems/step-up-required');

    const events = await server.testDatabase.adminQuery<{ outcome: string; metadata: { method: string } }>(
      "SELECT outcome, metadata FROM audit_events WHERE action = 'mfa.step_up' AND actor_user_id = $1",
      [user.id],
    );
    expect(events).toEqual([{ outcome: 'success', metadata: { method: 'totp' } }]);
  });

  it('accepts a recovery code (lost authenticator) and refuses wrong or replayed codes', async () => {
    const { user, secretBase32, recoveryCodes } = await server.enrolUser();
    const session = await server.fake.signIn(user.id, ['pwd']);
    const code = server.codeFor(secretBase32);
    expect((await stepUp(session.headers, { code })).statusCode).toBe(200);
    const replay = await stepUp(session.headers, { code });
    expect(replay.statusCode).toBe(400);
    expect(replay.json().type).toBe('/problems/invalid-mfa-code');
    const recovery = await stepUp(session.headers, { recoveryCode: recoveryCodes[3] });
    expect(recovery.statusCode).toBe(200);
    expect(recovery.json().recoveryCodesRemaining).toBe(9);
    const events = await server.testDatabase.adminQuery<{ outcome: string }>(
      "SELECT outcome FROM audit_events WHERE action = 'mfa.step_up' AND actor_user_id = $1 ORDER BY seq",
      [user.id],
    );
    expect(events.map((event) => event.outcome)).toEqual(['success', 'failure', 'success']);
  });

  it('refuses callers without a session, and users without MFA', async () => {
    expect((await stepUp({}, { code: '123456' })).statusCode).toBe(401);
    expect((await stepUp({ authorization: 'Bearer nonsense' }, { code: '123456' })).statusCode).toBe(401);
    const plain = await server.createUser();
    const session = await server.fake.signIn(plain.id);
    const response = await stepUp(session.headers, { code: '123456' });
    expect(response.statusCode).toBe(409);
  });
});
