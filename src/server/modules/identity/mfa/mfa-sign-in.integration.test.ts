// The second step of sign-in: a single-use, 5-minute challenge completed with a code from the
// authenticator app (±1 step) or a single-use recovery code, starting a session with amr otp.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../../../../../test/helpers/test-database.ts';
import { loadConfig } from '../../../config.ts';
import { sealedKeyVersion } from '../../../platform/crypto/keyring.ts';
import { rotateDataKeys } from '../../../platform/crypto/rotate-data-keys.ts';
import { sealedColumns } from '../../../platform/crypto/sealed-columns.ts';
import { type MfaTestServer, startMfaTestServer } from './test-doubles/start-mfa-test-server.ts';

let server: MfaTestServer;

beforeAll(async () => {
  server = await startMfaTestServer();
});

afterAll(async () => {
  await server?.close();
});

const seconds = (value: number) => new Date(server.clock.now().getTime() + value * 1000);

async function challengeFor(userId: string, firstFactor?: 'pwd' | 'sso') {
  const { challengeToken } = await server.secondFactor.createChallenge({
    userId,
    ip: '203.0.113.9',
    userAgent: 'test-agent',
    ...(firstFactor ? { firstFactor } : {}),
  });
  return challengeToken;
}

function verify(payload: Record<string, unknown>) {
  return server.inject({ method: 'POST', url: '/api/auth/mfa/verify', payload });
}

describe(`MFA sign-in verification (${testDatabaseKind})`, () => {
  it('says who needs a second factor', async () => {
    const plain = await server.createUser();
    expect(await server.secondFactor.required(plain.id)).toEqual({ required: false, enrolled: false });
    await expect(
      server.secondFactor.createChallenge({ userId: plain.id, ip: null, userAgent: null }),
    ).rejects.toThrow();
    const admin = await server.createUser({ platformAdmin: true });
    expect(await server.secondFactor.required(admin.id)).toEqual({ required: true, enrolled: false });
    const { user } = await server.enrolUser();
    expect(await server.secondFactor.required(user.id)).toEqual({ required: true, enrolled: true });
  });

  it('completes sign-in with a code computed like an authenticator app; starts a pwd+otp session', async () => {
    const { user, secretBase32 } = await server.enrolUser();
    const challengeToken = await challengeFor(user.id);
    expect(challengeToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const response = await verify({ challengeToken, code: server.codeFor(secretBase32) });
    expect(response.statusCode).toBe(200);
    const body = response.json<{ accessToken: string; refreshToken: string; recoveryCodesRemaining: null }>();
    expect(body.accessToken).toMatch(/^fake-access-/);
    expect(body.recoveryCodesRemaining).toBeNull();
    expect(response.headers['set-cookie']).toMatch(/vigil_access=/);
    expect(server.fake.started.at(-1)).toEqual({
      userId: user.id,
      amr: ['pwd', 'otp'],
      ip: '127.0.0.1',
      userAgent: 'lightMyRequest',
    });
    const [event] = await server.testDatabase.adminQuery<{ outcome: string; metadata: { method: string } }>(
      "SELECT outcome, metadata FROM audit_events WHERE action = 'mfa.verified' AND actor_user_id = $1",
      [user.id],
    );
    expect(event).toMatchObject({ outcome: 'success', metadata: { method: 'totp' } });
  });

  it('starts an sso+otp session when the first factor was SSO', async () => {
    const { user, secretBase32 } = await server.enrolUser();
    const response = await verify({
      challengeToken: await challengeFor(user.id, 'sso'),
      code: server.codeFor(secretBase32),
    });
    expect(response.statusCode).toBe(200);
    expect(server.fake.started.at(-1)?.amr).toEqual(['sso', 'otp']);
  });

  it('accepts codes of the previous and next step, refuses two steps away', async () => {
    const { user, secretBase32 } = await server.enrolUser();
    // Leave the confirmation's step behind, so the previous step has never been used.
    server.clock.advance(60_000);
    const near = [-30, 0, 30].map((offset) => server.codeFor(secretBase32, seconds(offset)));
    for (const offset of [-60, 60]) {
      const code = server.codeFor(secretBase32, seconds(offset));
      if (near.includes(code)) continue; // a one-in-a-million coincidence, not a window bug
      const refused = await verify({ challengeToken: await challengeFor(user.id), code });
      expect(refused.statusCode, `offset ${offset}`).toBe(400);
      expect(refused.json().type).toBe('/problems/invalid-mfa-code');
    }
    // Earlier step first: once a later step is used, earlier ones count as replays.
    for (const offset of [-30, 30]) {
      const accepted = await verify({
        challengeToken: await challengeFor(user.id),
        code: server.codeFor(secretBase32, seconds(offset)),
      });
      expect(accepted.statusCode, `offset ${offset}`).toBe(200);
    }
  });

  it('uses a challenge once', async () => {
    const { user, secretBase32 } = await server.enrolUser();
    const challengeToken = await challengeFor(user.id);
    expect((await verify({ challengeToken, code: server.codeFor(secretBase32) })).statusCode).toBe(200);
    server.clock.advance(30_000);
    const reused = await verify({ challengeToken, code: server.codeFor(secretBase32) });
    expect(reused.statusCode).toBe(401);
    expect(reused.json().type).toBe('/problems/mfa-challenge-invalid');
  });

  it('keeps a challenge usable after a wrong code (the lockout limits guesses), until it expires at 5 minutes', async () => {
    const { user, secretBase32 } = await server.enrolUser();
    const challengeToken = await challengeFor(user.id);
    const wrongCode = server.codeFor(secretBase32) === '000000' ? '111111' : '000000';
    expect((await verify({ challengeToken, code: wrongCode })).statusCode).toBe(400);
    server.clock.advance(4 * 60_000 + 59_000);
    expect((await verify({ challengeToken, code: server.codeFor(secretBase32) })).statusCode).toBe(200);

    const late = await challengeFor(user.id);
    server.clock.advance(5 * 60_000);
    const expired = await verify({ challengeToken: late, code: server.codeFor(secretBase32) });
    expect(expired.statusCode).toBe(401);
    expect(expired.json().type).toBe('/problems/mfa-challenge-invalid');
  });

  it('refuses unknown and malformed challenges without revealing anything', async () => {
    const unknown = await verify({ challengeToken: 'A'.repeat(43), code: '123456' });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().type).toBe('/problems/mfa-challenge-invalid');
    const malformed = await verify({ challengeToken: 'short', code: '123456' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().type).toBe('/problems/validation-failed');
    const both = await verify({ challengeToken: 'A'.repeat(43), code: '123456', recoveryCode: 'abcd-efgh-jkmn' });
    expect(both.statusCode).toBe(400);
    const neither = await verify({ challengeToken: 'A'.repeat(43) });
    expect(neither.statusCode).toBe(400);
  });

  it('accepts each recovery code once, says how many are left, and audits its use', async () => {
    const { user, recoveryCodes } = await server.enrolUser();
    const [first, second] = recoveryCodes as [string, string];
    const used = await verify({ challengeToken: await challengeFor(user.id), recoveryCode: first.toUpperCase() });
    expect(used.statusCode).toBe(200);
    expect(used.json().recoveryCodesRemaining).toBe(9);
    expect(server.fake.started.at(-1)?.amr).toEqual(['pwd', 'otp']);

    const again = await verify({ challengeToken: await challengeFor(user.id), recoveryCode: first });
    expect(again.statusCode).toBe(400);
    expect(again.json().type).toBe('/problems/invalid-mfa-code');

    const spaced = await verify({
      challengeToken: await challengeFor(user.id),
      recoveryCode: ` ${second.replaceAll('-', ' ')} `,
    });
    expect(spaced.statusCode).toBe(200);
    expect(spaced.json().recoveryCodesRemaining).toBe(8);

    const events = await server.testDatabase.adminQuery<{ action: string; outcome: string; metadata: unknown }>(
      "SELECT action, outcome, metadata FROM audit_events WHERE actor_user_id = $1 AND action IN ('mfa.recovery_code_used', 'mfa.verified') ORDER BY seq",
      [user.id],
    );
    expect(events.map((event) => `${event.action}:${event.outcome}`)).toEqual([
      'mfa.recovery_code_used:success',
      'mfa.verified:success',
      'mfa.verified:failure',
      'mfa.recovery_code_used:success',
      'mfa.verified:success',
    ]);
    expect(events[0]?.metadata).toEqual({ recoveryCodesRemaining: 9 });
    expect(JSON.stringify(events)).not.toContain(first);
  });

  it('two different valid factors on one challenge concurrently: exactly one session', async () => {
    const { user, secretBase32, recoveryCodes } = await server.enrolUser();
    const challengeToken = await challengeFor(user.id);
    const before = server.fake.started.length;
    const results = await Promise.all([
      verify({ challengeToken, code: server.codeFor(secretBase32) }),
      verify({ challengeToken, recoveryCode: recoveryCodes[0] }),
    ]);
    expect(results.map((result) => result.statusCode).sort()).toEqual([200, 401]);
    expect(server.fake.started.length - before).toBe(1);
    // The loser's factor was not spent: its acceptance rolled back with the lost challenge.
    const recoveryCodeWon = results[1]?.statusCode === 200;
    const unused = await server.testDatabase.adminQuery(
      'SELECT 1 FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL',
      [user.id],
    );
    expect(unused).toHaveLength(recoveryCodeWon ? 9 : 10);
  });

  it('refuses a verification challenge once MFA was turned off meanwhile', async () => {
    const { user, secretBase32 } = await server.enrolUser();
    const challengeToken = await challengeFor(user.id);
    await server.testDatabase.adminQuery('DELETE FROM mfa_totp WHERE user_id = $1', [user.id]);
    const response = await verify({ challengeToken, code: server.codeFor(secretBase32) });
    expect(response.statusCode).toBe(409);
  });

  it('keeps working after data-key rotation re-seals the secret and the recovery-code key', async () => {
    const { user, secretBase32, recoveryCodes } = await server.enrolUser();
    const owner = await server.testDatabase.ownerConnection();
    try {
      await rotateDataKeys({
        connection: owner,
        masterKey: loadConfig({ VIGIL_PROFILE: 'test' }).masterKey as Buffer,
        columns: sealedColumns.filter((column) => column.table === 'mfa_totp'),
        retireAfterMs: 0,
      });
    } finally {
      await owner.close();
    }
    const [row] = await server.testDatabase.adminQuery<{ secret_sealed: string; recovery_code_key_sealed: string }>(
      'SELECT secret_sealed, recovery_code_key_sealed FROM mfa_totp WHERE user_id = $1',
      [user.id],
    );
    expect(sealedKeyVersion(row?.secret_sealed ?? '')).toBeGreaterThan(1);
    expect(sealedKeyVersion(row?.recovery_code_key_sealed ?? '')).toBeGreaterThan(1);
    expect(
      (await verify({ challengeToken: await challengeFor(user.id), code: server.codeFor(secretBase32) })).statusCode,
    ).toBe(200);
    expect(
      (await verify({ challengeToken: await challengeFor(user.id), recoveryCode: recoveryCodes[0] })).statusCode,
    ).toBe(200);
  });
});
