// Threat: bcrypt reads only the first 72 bytes of a password, so a longer one would be cut
// silently and two different passwords sharing a 72-byte prefix would open the same account;
// and users choosing passwords an attacker guesses first (common ones, their own name).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AccountsTestServer,
  startAccountsTestServer,
} from '../../src/server/modules/identity/accounts/accounts.test-support.ts';
import { testDatabaseKind } from '../helpers/test-database.ts';

/** 72 ASCII bytes, strong. */
const PREFIX_72 = 'Vq7#mZ2!pL9@wR4$tK6^bN1&hJ8*cF3(gD5)sA0-eY7+uI2=oP4~qW9?zX6%rT1;aB3:nM8_';
/** 24 characters of 3 bytes each: exactly 72 bytes of UTF-8. */
const MULTIBYTE_72 = '鬱龍雷電風雲山川海空星月花鳥森林湖泉石岩砂金銀鉄';
const GENEROUS = { capacity: 1000, refillEveryMs: 1000 };

let server: AccountsTestServer;

function post(url: string, payload: object, headers: Record<string, string> = {}) {
  return server.vigil.app.inject({ method: 'POST', url, payload, headers });
}

async function verifiedAccount(email: string, password: string): Promise<string> {
  const signUp = await post('/api/auth/sign-up', { email, password });
  expect(signUp.statusCode, signUp.body).toBe(202);
  const mail = await server.lastMailTo(email);
  await post('/api/auth/verify-email', { token: server.linkToken(mail!.text, 'verify-email') });
  const [row] = await server.testDatabase.adminQuery<{ id: string }>(
    'SELECT id FROM users WHERE email_normalised = $1',
    [email],
  );
  return row!.id;
}

beforeAll(async () => {
  expect(Buffer.byteLength(PREFIX_72)).toBe(72);
  expect(Buffer.byteLength(MULTIBYTE_72)).toBe(72);
  server = await startAccountsTestServer({
    limits: { passwordGuessesPerAccount: GENEROUS, passwordGuessesPerIp: GENEROUS, mailsPerAddress: GENEROUS },
  });
});

afterAll(async () => {
  await server?.close();
});

describe(`password limits (${testDatabaseKind})`, () => {
  it('refuses a 73-byte password with a clear message instead of truncating it', async () => {
    const response = await post('/api/auth/sign-up', { email: 'long@example.com', password: `${PREFIX_72}x` });
    expect(response.statusCode).toBe(400);
    const problem = response.json();
    expect(problem.type).toBe('/problems/password-too-long');
    expect(problem.detail).toContain('at most 72 bytes');
    expect(problem.detail).toContain('73 bytes');
    expect(problem.errors).toEqual([{ pointer: '/body/password', message: problem.detail }]);
  });

  it('does not treat two passwords sharing a 72-byte prefix as equal', async () => {
    const userId = await verifiedAccount('prefix@example.com', PREFIX_72);
    expect((await post('/api/auth/sign-in', { email: 'prefix@example.com', password: PREFIX_72 })).statusCode).toBe(
      200,
    );
    // bcrypt alone would accept this one: it compares only the first 72 bytes.
    const longer = await post('/api/auth/sign-in', { email: 'prefix@example.com', password: `${PREFIX_72}anything` });
    expect(longer.statusCode).toBe(401);
    expect(longer.json().type).toBe('/problems/invalid-credentials');
    // Nor can such a password be set any other way.
    const change = await post(
      '/api/me/password',
      { currentPassword: PREFIX_72, newPassword: `${PREFIX_72}y` },
      server.sessions.authorization({ userId }),
    );
    expect(change.json().type).toBe('/problems/password-too-long');
    await post('/api/auth/password-reset/request', { email: 'prefix@example.com' });
    const mail = await server.lastMailTo('prefix@example.com');
    const reset = await post('/api/auth/password-reset/complete', {
      token: server.linkToken(mail!.text, 'reset-password'),
      newPassword: `${PREFIX_72}z`,
    });
    expect(reset.json().type).toBe('/problems/password-too-long');
  });

  it('counts bytes, not characters: 72 bytes of multi-byte UTF-8 pass, one more byte does not', async () => {
    await verifiedAccount('kanji@example.com', MULTIBYTE_72);
    expect((await post('/api/auth/sign-in', { email: 'kanji@example.com', password: MULTIBYTE_72 })).statusCode).toBe(
      200,
    );
    // 71 ASCII bytes and a 2-byte character: the 72-byte boundary falls inside the character.
    const straddling = `${PREFIX_72.slice(0, 71)}é`;
    expect(Buffer.byteLength(straddling)).toBe(73);
    const response = await post('/api/auth/sign-up', { email: 'straddle@example.com', password: straddling });
    expect(response.json().type).toBe('/problems/password-too-long');
    // 25 three-byte characters are 75 bytes although only 25 characters long.
    const tooMany = await post('/api/auth/sign-up', { email: 'kanji2@example.com', password: `${MULTIBYTE_72}鋼` });
    expect(tooMany.json().type).toBe('/problems/password-too-long');
  });

  it('allows 64-character passwords', async () => {
    const sixtyFour = PREFIX_72.slice(0, 64);
    await verifiedAccount('sixtyfour@example.com', sixtyFour);
    expect((await post('/api/auth/sign-in', { email: 'sixtyfour@example.com', password: sixtyFour })).statusCode).toBe(
      200,
    );
  });

  it('refuses common passwords and passwords made of the user’s own email', async () => {
    for (const password of ['password1234', 'qwerty123456', '123456789012', 'iloveyou1234']) {
      const response = await post('/api/auth/sign-up', { email: 'common@example.com', password });
      expect(response.statusCode, password).toBe(400);
      expect(response.json().type).toBe('/problems/weak-password');
    }
    const own = await post('/api/auth/sign-up', {
      email: 'margaret.hamilton@example.com',
      password: 'margarethamilton69',
    });
    expect(own.json().type).toBe('/problems/weak-password');
  });
});
