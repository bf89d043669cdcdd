// Attack: someone with the password (or a stolen session) guesses six-digit codes — one by one or
// in a concurrent burst, with TOTP codes or recovery codes — until one matches. After 5 wrong codes
// the factor locks for 30 s, doubling per further wrong code up to an hour; a success resets it.
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

/** Codes no step in the window produces: guaranteed wrong guesses. */
function wrongCodes(secretBase32: string, count: number): string[] {
  const now = server.clock.now().getTime();
  const near = new Set([-30_000, 0, 30_000].map((offset) => server.codeFor(secretBase32, new Date(now + offset))));
  const codes: string[] = [];
  for (let candidate = 0; codes.length < count; candidate++) {
    const code = String(candidate).padStart(6, '0');
    if (!near.has(code)) codes.push(code);
  }
  return codes;
}

function wrongCode(secretBase32: string): string {
  return wrongCodes(secretBase32, 1)[0] as string;
}

async function signInAttempt(userId: string, factor: { code: string } | { recoveryCode: string }) {
  const { challengeToken } = await server.secondFactor.createChallenge({ userId, ip: null, userAgent: null });
  return server.inject({ method: 'POST', url: '/api/auth/mfa/verify', payload: { challengeToken, ...factor } });
}

describe(`TOTP brute force (${testDatabaseKind})`, () => {
  it('locks after 5 wrong codes — even the right code is then refused — and the lock grows, capped at an hour', async () => {
    const { user, secretBase32 } = await server.enrolUser();
    for (let attempt = 1; attempt <= 5; attempt++) {
      const response = await signInAttempt(user.id, { code: wrongCode(secretBase32) });
      expect(response.statusCode, `attempt ${attempt}`).toBe(400);
      expect(response.json().type).toBe('/problems/invalid-mfa-code');
      expect(response.headers['retry-after']).toBe(attempt === 5 ? '30' : undefined);
    }
    const locked = await signInAttempt(user.id, { code: server.codeFor(secretBase32) });
    expect(locked.statusCode).toBe(429);
    expect(locked.json().type).toBe('/problems/mfa-locked');
    expect(locked.headers['retry-after']).toBe('30');

    server.clock.advance(20_000);
    expect((await signInAttempt(user.id, { code: server.codeFor(secretBase32) })).headers['retry-after']).toBe('10');

    // Each further wrong code (once the lock ends) doubles the lock: 60, 120, ... 3600 s.
    let expected = 30;
    for (let failure = 6; failure <= 13; failure++) {
      server.clock.advance(expected * 1000);
      expected = Math.min(expected * 2, 3600);
      const wrong = await signInAttempt(user.id, { code: wrongCode(secretBase32) });
      expect(wrong.statusCode, `failure ${failure}`).toBe(400);
      expect(wrong.headers['retry-after']).toBe(String(expected));
      const stillLocked = await signInAttempt(user.id, { code: server.codeFor(secretBase32) });
      expect(stillLocked.statusCode).toBe(429);
    }
    expect(expected).toBe(3600);

    const events = await server.testDatabase.adminQuery<{ outcome: string; metadata: { reason?: string } }>(
      "SELECT outcome, metadata FROM audit_events WHERE action = 'mfa.verified' AND actor_user_id = $1 ORDER BY seq",
      [user.id],
    );
    expect(events.filter((event) => event.metadata.reason === 'invalid')).toHaveLength(13);
    expect(events.filter((event) => event.metadata.reason === 'locked').length).toBeGreaterThanOrEqual(9);
    expect(events.every((event) => event.outcome === 'failure')).toBe(true);
  });

  it('resets the count on success', async () => {
    const { user, secretBase32 } = await server.enrolUser();
    for (let attempt = 1; attempt <= 4; attempt++) await signInAttempt(user.id, { code: wrongCode(secretBase32) });
    expect((await signInAttempt(user.id, { code: server.codeFor(secretBase32) })).statusCode).toBe(200);
    for (let attempt = 1; attempt <= 4; attempt++) {
      const response = await signInAttempt(user.id, { code: wrongCode(secretBase32) });
      expect(response.headers['retry-after'], `attempt ${attempt} after the reset`).toBeUndefined();
    }
    server.clock.advance(30_000);
    expect((await signInAttempt(user.id, { code: server.codeFor(secretBase32) })).statusCode).toBe(200);
  });

  it('counts recovery code guesses against the same limit, and locks step-up too', async () => {
    const { user, secretBase32, recoveryCodes, headers } = await server.enrolUser();
    for (let attempt = 1; attempt <= 5; attempt++) {
      const response = await signInAttempt(user.id, {
        recoveryCode: `zzzz-zzzz-zz${String(attempt).padStart(2, '0')}`,
      });
      expect(response.statusCode).toBe(400);
    }
    expect((await signInAttempt(user.id, { recoveryCode: recoveryCodes[0] as string })).statusCode).toBe(429);
    expect((await signInAttempt(user.id, { code: server.codeFor(secretBase32) })).statusCode).toBe(429);
    const stepUp = await server.inject({
      method: 'POST',
      url: '/api/auth/step-up',
      headers,
      payload: { code: server.codeFor(secretBase32) },
    });
    expect(stepUp.statusCode).toBe(429);
    expect(stepUp.json().type).toBe('/problems/mfa-locked');
    // Refused while locked, the recovery code was not spent.
    server.clock.advance(30_000);
    const later = await signInAttempt(user.id, { recoveryCode: recoveryCodes[0] as string });
    expect(later.statusCode).toBe(200);
    expect(later.json().recoveryCodesRemaining).toBe(9);
  });

  it('evaluates at most 5 guesses of a concurrent burst; the rest are locked out', async () => {
    const { user, secretBase32 } = await server.enrolUser();
    const challenges = await Promise.all(
      Array.from({ length: 20 }, () =>
        server.secondFactor.createChallenge({ userId: user.id, ip: null, userAgent: null }),
      ),
    );
    const guesses = wrongCodes(secretBase32, challenges.length);
    const results = await Promise.all(
      challenges.map(({ challengeToken }, index) =>
        server.inject({
          method: 'POST',
          url: '/api/auth/mfa/verify',
          payload: { challengeToken, code: guesses[index] },
        }),
      ),
    );
    const statuses = results.map((result) => result.statusCode);
    expect(statuses.filter((status) => status === 400)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(15);
  });

  it('locks one account only', async () => {
    const victim = await server.enrolUser();
    const bystander = await server.enrolUser();
    for (let attempt = 1; attempt <= 5; attempt++) {
      await signInAttempt(victim.user.id, { code: wrongCode(victim.secretBase32) });
    }
    expect((await signInAttempt(victim.user.id, { code: server.codeFor(victim.secretBase32) })).statusCode).toBe(429);
    expect((await signInAttempt(bystander.user.id, { code: server.codeFor(bystander.secretBase32) })).statusCode).toBe(
      200,
    );
  });
});
