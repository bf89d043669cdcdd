import bcrypt from 'bcrypt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../../../../../test/helpers/test-database.ts';
import { newId } from '../../../platform/db/ids.ts';
import { RESET_PASSWORD_TOKEN_TTL_MS, VERIFY_EMAIL_TOKEN_TTL_MS } from './email-tokens.ts';
import { type AccountsTestServer, startAccountsTestServer } from './accounts.test-support.ts';

const PASSWORD = 'Copper-Lantern-Orbit-7419';
const NEW_PASSWORD = 'Harbor-Quince-Meteor-2086';

type AuditRow = {
  action: string;
  outcome: string;
  actor_user_id: string | null;
  target_id: string | null;
  metadata: Record<string, unknown>;
};

let server: AccountsTestServer;

function post(url: string, payload: unknown, headers: Record<string, string> = {}) {
  return server.vigil.app.inject({ method: 'POST', url, payload: payload as object, headers });
}

async function signUp(email: string, password = PASSWORD, displayName?: string) {
  return post('/api/auth/sign-up', { email, password, ...(displayName ? { displayName } : {}) });
}

async function userByEmail(email: string) {
  const [row] = await server.testDatabase.adminQuery<{
    id: string;
    email: string;
    email_verified_at: Date | null;
    tokens_valid_after: Date;
    suspended_at: Date | null;
  }>('SELECT id, email, email_verified_at, tokens_valid_after, suspended_at FROM users WHERE email_normalised = $1', [
    email.trim().toLowerCase(),
  ]);
  return row ?? null;
}

async function passwordHashOf(userId: string): Promise<string> {
  const [row] = await server.testDatabase.adminQuery<{ password_hash: string }>(
    'SELECT password_hash FROM password_credentials WHERE user_id = $1',
    [userId],
  );
  return row!.password_hash;
}

async function auditEvents(action: string): Promise<AuditRow[]> {
  return server.testDatabase.adminQuery<AuditRow>(
    'SELECT action, outcome, actor_user_id, target_id, metadata FROM audit_events WHERE org_id IS NULL AND action = $1 ORDER BY seq',
    [action],
  );
}

async function verificationToken(email: string): Promise<string> {
  const mail = await server.lastMailTo(email);
  return server.linkToken(mail!.text, 'verify-email');
}

/** Signs up and verifies; returns the user id. */
async function verifiedUser(email: string, password = PASSWORD, displayName?: string): Promise<string> {
  expect((await signUp(email, password, displayName)).statusCode).toBe(202);
  const response = await post('/api/auth/verify-email', { token: await verificationToken(email) });
  expect(response.statusCode).toBe(200);
  return (await userByEmail(email))!.id;
}

// Many flows from one address in one test file: the limits have their own attack test.
const GENEROUS = { capacity: 1000, refillEveryMs: 1000 };

beforeAll(async () => {
  server = await startAccountsTestServer({
    limits: { passwordGuessesPerAccount: GENEROUS, passwordGuessesPerIp: GENEROUS, mailsPerAddress: GENEROUS },
  });
});

afterAll(async () => {
  await server?.close();
});

describe(`sign-up and email verification (${testDatabaseKind})`, () => {
  it('creates the account with a normalised email, a bcrypt credential and a verification mail', async () => {
    const response = await signUp('  Ada.Lovelace@Example.COM ', PASSWORD, 'Ada');
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ message: expect.stringContaining('Check your inbox') });

    const user = await userByEmail('ada.lovelace@example.com');
    expect(user).toMatchObject({ email: 'Ada.Lovelace@Example.COM', email_verified_at: null, suspended_at: null });
    expect(new Date(user!.tokens_valid_after).toISOString()).toBe(server.clock.now().toISOString());
    const hash = await passwordHashOf(user!.id);
    expect(bcrypt.getRounds(hash)).toBe(10);
    expect(await bcrypt.compare(PASSWORD, hash)).toBe(true);

    const mail = await server.lastMailTo('Ada.Lovelace@Example.COM');
    expect(mail?.subject).toContain('Verify your email');
    expect(mail?.text).toMatch(/^Hello Ada,/);
    const token = server.linkToken(mail!.text, 'verify-email');
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);

    const [stored] = await server.testDatabase.adminQuery<{ token_hash: string; expires_at: Date; purpose: string }>(
      'SELECT token_hash, expires_at, purpose FROM email_tokens WHERE user_id = $1',
      [user!.id],
    );
    expect(stored!.purpose).toBe('verify_email');
    expect(stored!.token_hash).not.toContain(token);
    expect(stored!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(new Date(stored!.expires_at).getTime() - server.clock.now().getTime()).toBe(VERIFY_EMAIL_TOKEN_TTL_MS);

    const events = await auditEvents('account.signed_up');
    expect(events).toEqual([
      expect.objectContaining({ outcome: 'success', actor_user_id: user!.id, target_id: user!.id }),
    ]);
  });

  it('refuses weak passwords with the reason, pointing at the field', async () => {
    for (const password of ['short-pw1!', 'password1234', 'qwertyuiopasdf', 'grace.hopper1906']) {
      const response = await signUp('grace.hopper@example.com', password, 'Grace Hopper');
      expect(response.statusCode, password).toBe(400);
      const problem = response.json();
      expect(problem.type).toBe('/problems/weak-password');
      expect(problem.errors[0].pointer).toBe('/body/password');
      expect(problem.detail.length).toBeGreaterThan(10);
    }
    expect(await userByEmail('grace.hopper@example.com')).toBeNull();
  });

  it('refuses malformed input as validation-failed', async () => {
    const response = await post('/api/auth/sign-up', { email: 'not-an-email', password: PASSWORD });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors[0].pointer).toBe('/body/email');
  });

  it('verifies with the link once; a used, expired or wrong-purpose token is refused', async () => {
    await signUp('linus@example.com');
    const token = await verificationToken('linus@example.com');
    const first = await post('/api/auth/verify-email', { token });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ emailVerified: true });
    const user = await userByEmail('linus@example.com');
    expect(new Date(user!.email_verified_at!).toISOString()).toBe(server.clock.now().toISOString());
    expect(await auditEvents('account.email_verified')).toContainEqual(
      expect.objectContaining({ outcome: 'success', actor_user_id: user!.id, target_id: user!.id }),
    );

    const again = await post('/api/auth/verify-email', { token });
    expect(again.statusCode).toBe(400);
    expect(again.json().type).toBe('/problems/invalid-email-token');

    await signUp('margaret@example.com');
    const expiring = await verificationToken('margaret@example.com');
    server.clock.advance(VERIFY_EMAIL_TOKEN_TTL_MS);
    const expired = await post('/api/auth/verify-email', { token: expiring });
    expect(expired.json().type).toBe('/problems/invalid-email-token');
    expect((await userByEmail('margaret@example.com'))!.email_verified_at).toBeNull();

    expect((await post('/api/auth/verify-email', { token: 'A'.repeat(43) })).statusCode).toBe(400);
  });

  it('resends a fresh verification link and retires the old one', async () => {
    await signUp('barbara@example.com');
    const old = await verificationToken('barbara@example.com');
    server.clock.advance(1000);
    const response = await post('/api/auth/verify-email/resend', { email: 'BARBARA@example.com' });
    expect(response.statusCode).toBe(202);
    const fresh = await verificationToken('barbara@example.com');
    expect(fresh).not.toBe(old);
    expect((await post('/api/auth/verify-email', { token: old })).statusCode).toBe(400);
    expect((await post('/api/auth/verify-email', { token: fresh })).statusCode).toBe(200);

    // Verified accounts get nothing more.
    await post('/api/auth/verify-email/resend', { email: 'barbara@example.com' });
    expect((await server.lastMailTo('barbara@example.com'))!.text).toContain(fresh);
  });

  it('answers a sign-up for a registered email the same way, mails the owner and changes nothing', async () => {
    const userId = await verifiedUser('ken@example.com');
    const hashBefore = await passwordHashOf(userId);
    const response = await signUp('Ken@Example.com', 'Another-Secret-Phrase-5501');
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ message: expect.stringContaining('Check your inbox') });
    expect(await passwordHashOf(userId)).toBe(hashBefore);
    const mail = await server.lastMailTo('ken@example.com');
    expect(mail?.subject).toContain('tried to sign up');
    expect(mail?.text).not.toContain('/verify-email#');
    // Its reset link works.
    const token = server.linkToken(mail!.text, 'reset-password');
    const reset = await post('/api/auth/password-reset/complete', { token, newPassword: NEW_PASSWORD });
    expect(reset.statusCode).toBe(200);
    expect((await auditEvents('account.signed_up')).filter((event) => event.target_id === userId)).toHaveLength(1);
  });
});

describe(`sign-in (${testDatabaseKind})`, () => {
  it('starts a session with amr pwd, sets the cookies and answers the tokens and user', async () => {
    const userId = await verifiedUser('dennis@example.com', PASSWORD, 'Dennis');
    const before = server.sessions.started.length;
    const response = await server.vigil.app.inject({
      method: 'POST',
      url: '/api/auth/sign-in',
      payload: { email: ' DENNIS@example.com', password: PASSWORD },
      headers: { 'user-agent': 'test-browser/1.0' },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({
      mfaRequired: false,
      sessionId: server.sessions.cookiesSet.at(-1)?.sessionId ?? 'none',
      accessToken: expect.stringMatching(/^access-/),
      refreshToken: expect.stringMatching(/^refresh-/),
      user: {
        id: userId,
        email: 'dennis@example.com',
        displayName: 'Dennis',
        emailVerified: true,
        platformAdmin: false,
      },
    });
    expect(new Date(body.accessTokenExpiresAt).getTime()).toBeGreaterThan(server.clock.now().getTime());
    expect(server.sessions.started.slice(before)).toEqual([
      { userId, amr: ['pwd'], ip: '127.0.0.1', userAgent: 'test-browser/1.0' },
    ]);
    expect(server.sessions.cookiesSet.at(-1)?.accessToken).toBe(body.accessToken);
    expect(response.headers['set-cookie']).toContain('HttpOnly');
    expect(await auditEvents('account.signed_in')).toContainEqual(
      expect.objectContaining({ outcome: 'success', actor_user_id: userId }),
    );
  });

  it('refuses a wrong password and audits the failure against the account', async () => {
    const userId = (await userByEmail('dennis@example.com'))!.id;
    const response = await post('/api/auth/sign-in', { email: 'dennis@example.com', password: 'Wrong-Password-0000' });
    expect(response.statusCode).toBe(401);
    expect(response.json().type).toBe('/problems/invalid-credentials');
    expect(await auditEvents('account.signed_in')).toContainEqual(
      expect.objectContaining({ outcome: 'failure', actor_user_id: userId, metadata: { status: 401 } }),
    );
  });

  it('says email-not-verified only after a correct password', async () => {
    await signUp('alan@example.com');
    const wrong = await post('/api/auth/sign-in', { email: 'alan@example.com', password: 'Not-The-Password-123' });
    expect(wrong.json().type).toBe('/problems/invalid-credentials');
    const right = await post('/api/auth/sign-in', { email: 'alan@example.com', password: PASSWORD });
    expect(right.statusCode).toBe(403);
    expect(right.json().type).toBe('/problems/email-not-verified');
  });

  it('keeps suspended accounts out: account-suspended after a correct password, never a session', async () => {
    const userId = await verifiedUser('mallory@example.com');
    await server.testDatabase.adminQuery('UPDATE users SET suspended_at = $2 WHERE id = $1', [
      userId,
      server.clock.now(),
    ]);
    const before = server.sessions.started.length;
    const wrong = await post('/api/auth/sign-in', { email: 'mallory@example.com', password: 'Not-The-Password-123' });
    expect(wrong.json().type).toBe('/problems/invalid-credentials');
    const right = await post('/api/auth/sign-in', { email: 'mallory@example.com', password: PASSWORD });
    expect(right.statusCode).toBe(403);
    expect(right.json().type).toBe('/problems/account-suspended');
    // Nor does a reset bring them back in: no mail is sent, and sign-in still refuses.
    await post('/api/auth/password-reset/request', { email: 'mallory@example.com' });
    const mail = await server.lastMailTo('mallory@example.com');
    expect(mail?.subject).toContain('Verify');
    expect(server.sessions.started.length).toBe(before);
  });

  it('refuses an account without a password credential like a wrong password', async () => {
    const userId = newId();
    const now = server.clock.now();
    await server.testDatabase.adminQuery(
      'INSERT INTO users (id, email, email_normalised, email_verified_at, tokens_valid_after, created_at, updated_at) VALUES ($1, $2, $2, $3, $3, $3, $3)',
      [userId, 'sso-only@example.com', now],
    );
    const response = await post('/api/auth/sign-in', { email: 'sso-only@example.com', password: PASSWORD });
    expect(response.statusCode).toBe(401);
    expect(response.json().type).toBe('/problems/invalid-credentials');
  });
});

describe(`second factor at sign-in (${testDatabaseKind})`, () => {
  let mfaServer: AccountsTestServer;
  const challenges: { userId: string }[] = [];

  beforeAll(async () => {
    mfaServer = await startAccountsTestServer({
      secondFactor: {
        required: async () => ({ required: true, enrolled: false }),
        createChallenge: async ({ userId }) => {
          challenges.push({ userId });
          return { challengeToken: 'challenge-1', expiresAt: new Date('2026-03-02T09:05:00Z') };
        },
      },
    });
  });

  afterAll(async () => {
    await mfaServer?.close();
  });

  it('answers mfaRequired with the challenge and starts no session', async () => {
    await mfaServer.vigil.app.inject({
      method: 'POST',
      url: '/api/auth/sign-up',
      payload: { email: 'root@example.com', password: PASSWORD },
    });
    const mail = await mfaServer.lastMailTo('root@example.com');
    const token = mfaServer.linkToken(mail!.text, 'verify-email');
    await mfaServer.vigil.app.inject({ method: 'POST', url: '/api/auth/verify-email', payload: { token } });
    const response = await mfaServer.vigil.app.inject({
      method: 'POST',
      url: '/api/auth/sign-in',
      payload: { email: 'root@example.com', password: PASSWORD },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      mfaRequired: true,
      challengeToken: 'challenge-1',
      expiresAt: '2026-03-02T09:05:00.000Z',
      enrolmentRequired: true,
    });
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(mfaServer.sessions.started).toEqual([]);
    expect(challenges).toHaveLength(1);
  });
});

describe(`re-hash at a higher cost (${testDatabaseKind})`, () => {
  let costlyServer: AccountsTestServer;

  beforeAll(async () => {
    costlyServer = await startAccountsTestServer({ environment: { BCRYPT_COST: '11' } });
  });

  afterAll(async () => {
    await costlyServer?.close();
  });

  it('re-hashes a cost-10 hash at the next successful sign-in', async () => {
    const userId = newId();
    const now = costlyServer.clock.now();
    await costlyServer.testDatabase.adminQuery(
      'INSERT INTO users (id, email, email_normalised, email_verified_at, tokens_valid_after, created_at, updated_at) VALUES ($1, $2, $2, $3, $3, $3, $3)',
      [userId, 'old-hash@example.com', now],
    );
    await costlyServer.testDatabase.adminQuery(
      'INSERT INTO password_credentials (user_id, password_hash, updated_at) VALUES ($1, $2, $3)',
      [userId, await bcrypt.hash(PASSWORD, 10), now],
    );
    const signIn = (password: string) =>
      costlyServer.vigil.app.inject({
        method: 'POST',
        url: '/api/auth/sign-in',
        payload: { email: 'old-hash@example.com', password },
      });
    const hashOf = async () =>
      (
        await costlyServer.testDatabase.adminQuery<{ password_hash: string }>(
          'SELECT password_hash FROM password_credentials WHERE user_id = $1',
          [userId],
        )
      )[0]!.password_hash;

    expect((await signIn('Wrong-Password-0000')).statusCode).toBe(401);
    expect(bcrypt.getRounds(await hashOf())).toBe(10);
    expect((await signIn(PASSWORD)).statusCode).toBe(200);
    const upgraded = await hashOf();
    expect(bcrypt.getRounds(upgraded)).toBe(11);
    expect(await bcrypt.compare(PASSWORD, upgraded)).toBe(true);
    expect((await signIn(PASSWORD)).statusCode).toBe(200);
  });
});

describe(`password reset (${testDatabaseKind})`, () => {
  async function resetToken(email: string): Promise<string> {
    expect((await post('/api/auth/password-reset/request', { email })).statusCode).toBe(202);
    const mail = await server.lastMailTo(email);
    expect(mail?.subject).toContain('Reset your Vigil password');
    return server.linkToken(mail!.text, 'reset-password');
  }

  it('sets the new password, ends every session, moves tokens_valid_after and is audited', async () => {
    const userId = await verifiedUser('frances@example.com');
    server.clock.advance(60_000);
    const token = await resetToken('frances@example.com');
    const [row] = await server.testDatabase.adminQuery<{ expires_at: Date }>(
      "SELECT expires_at FROM email_tokens WHERE user_id = $1 AND purpose = 'reset_password'",
      [userId],
    );
    expect(new Date(row!.expires_at).getTime() - server.clock.now().getTime()).toBe(RESET_PASSWORD_TOKEN_TTL_MS);
    expect(await auditEvents('account.password_reset_requested')).toContainEqual(
      expect.objectContaining({ target_id: userId }),
    );

    server.clock.advance(5_000);
    const response = await post('/api/auth/password-reset/complete', { token, newPassword: NEW_PASSWORD });
    expect(response.statusCode).toBe(200);
    expect(server.sessions.revoked.at(-1)).toEqual({ userId, reason: 'password_reset' });
    const user = await userByEmail('frances@example.com');
    expect(new Date(user!.tokens_valid_after).toISOString()).toBe(server.clock.now().toISOString());
    expect(await auditEvents('account.password_reset')).toContainEqual(
      expect.objectContaining({ outcome: 'success', actor_user_id: userId, target_id: userId }),
    );
    expect((await server.lastMailTo('frances@example.com'))?.subject).toContain('password was changed');

    expect((await post('/api/auth/sign-in', { email: 'frances@example.com', password: PASSWORD })).statusCode).toBe(
      401,
    );
    expect((await post('/api/auth/sign-in', { email: 'frances@example.com', password: NEW_PASSWORD })).statusCode).toBe(
      200,
    );
    const reuse = await post('/api/auth/password-reset/complete', { token, newPassword: 'Yet-Another-Phrase-7781' });
    expect(reuse.statusCode).toBe(400);
    expect(reuse.json().type).toBe('/problems/invalid-email-token');
  });

  it('lets exactly one of two concurrent completions with the same link win', async () => {
    await verifiedUser('leslie@example.com');
    const token = await resetToken('leslie@example.com');
    const responses = await Promise.all([
      post('/api/auth/password-reset/complete', { token, newPassword: NEW_PASSWORD }),
      post('/api/auth/password-reset/complete', { token, newPassword: 'Yet-Another-Phrase-7781' }),
    ]);
    expect(responses.map((response) => response.statusCode).sort()).toEqual([200, 400]);
    const winner = responses[0]!.statusCode === 200 ? NEW_PASSWORD : 'Yet-Another-Phrase-7781';
    expect((await post('/api/auth/sign-in', { email: 'leslie@example.com', password: winner })).statusCode).toBe(200);
  });

  it('retires every other reset link of the account when one is used', async () => {
    await verifiedUser('edsger@example.com');
    const first = await resetToken('edsger@example.com');
    const second = await resetToken('edsger@example.com');
    expect(
      (await post('/api/auth/password-reset/complete', { token: second, newPassword: NEW_PASSWORD })).statusCode,
    ).toBe(200);
    const stale = await post('/api/auth/password-reset/complete', {
      token: first,
      newPassword: 'Yet-Another-Phrase-7781',
    });
    expect(stale.json().type).toBe('/problems/invalid-email-token');
  });

  it('expires after 30 minutes', async () => {
    await verifiedUser('john@example.com');
    const token = await resetToken('john@example.com');
    server.clock.advance(RESET_PASSWORD_TOKEN_TTL_MS);
    const response = await post('/api/auth/password-reset/complete', { token, newPassword: NEW_PASSWORD });
    expect(response.json().type).toBe('/problems/invalid-email-token');
    expect((await post('/api/auth/sign-in', { email: 'john@example.com', password: PASSWORD })).statusCode).toBe(200);
  });

  it('refuses a weak new password and leaves the link usable', async () => {
    await verifiedUser('hedy@example.com', PASSWORD, 'Hedy Lamarr');
    const token = await resetToken('hedy@example.com');
    const weak = await post('/api/auth/password-reset/complete', { token, newPassword: 'hedylamarr1914' });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().type).toBe('/problems/weak-password');
    expect(weak.json().errors[0].pointer).toBe('/body/newPassword');
    expect((await post('/api/auth/password-reset/complete', { token, newPassword: NEW_PASSWORD })).statusCode).toBe(
      200,
    );
  });

  it('verifies the email of an unverified account (the link proved the mailbox)', async () => {
    await signUp('katherine@example.com');
    const token = await resetToken('katherine@example.com');
    expect((await post('/api/auth/password-reset/complete', { token, newPassword: NEW_PASSWORD })).statusCode).toBe(
      200,
    );
    expect((await userByEmail('katherine@example.com'))!.email_verified_at).not.toBeNull();
  });

  it('cannot use a verification token as a reset token', async () => {
    await signUp('claude@example.com');
    const token = await verificationToken('claude@example.com');
    const response = await post('/api/auth/password-reset/complete', { token, newPassword: NEW_PASSWORD });
    expect(response.json().type).toBe('/problems/invalid-email-token');
  });
});

describe(`change password (${testDatabaseKind})`, () => {
  it('needs a signed-in caller', async () => {
    const response = await post('/api/me/password', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    expect(response.statusCode).toBe(401);
    expect(response.json().type).toBe('/problems/unauthenticated');
  });

  it('needs the current password', async () => {
    const userId = await verifiedUser('donald@example.com');
    const response = await post(
      '/api/me/password',
      { currentPassword: 'Not-The-Password-123', newPassword: NEW_PASSWORD },
      server.sessions.authorization({ userId }),
    );
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([
      { pointer: '/body/currentPassword', message: 'is not your current password' },
    ]);
    expect(await auditEvents('account.password_changed')).toContainEqual(
      expect.objectContaining({ outcome: 'failure', actor_user_id: userId }),
    );
  });

  it('changes it, ends the other sessions, refuses older access tokens and is audited', async () => {
    const userId = await verifiedUser('tim@example.com');
    server.clock.advance(60_000);
    const response = await post(
      '/api/me/password',
      { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
      server.sessions.authorization({ userId, sessionId: 'session-current' }),
    );
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ refreshRequired: true });
    expect(server.sessions.revoked.at(-1)).toEqual({
      userId,
      exceptSessionId: 'session-current',
      reason: 'password_changed',
    });
    const user = await userByEmail('tim@example.com');
    expect(new Date(user!.tokens_valid_after).toISOString()).toBe(server.clock.now().toISOString());
    expect(await auditEvents('account.password_changed')).toContainEqual(
      expect.objectContaining({ outcome: 'success', actor_user_id: userId, target_id: userId }),
    );
    expect((await post('/api/auth/sign-in', { email: 'tim@example.com', password: NEW_PASSWORD })).statusCode).toBe(
      200,
    );
    expect((await server.lastMailTo('tim@example.com'))?.subject).toContain('password was changed');
  });

  it('checks the new password against the policy', async () => {
    const userId = await verifiedUser('ada.b@example.com', PASSWORD, 'Ada Byron');
    const response = await post(
      '/api/me/password',
      { currentPassword: PASSWORD, newPassword: 'adabyron1815!' },
      server.sessions.authorization({ userId }),
    );
    expect(response.json().type).toBe('/problems/weak-password');
  });
});

describe(`step-up for change password (${testDatabaseKind})`, () => {
  let stepUpServer: AccountsTestServer;
  const checked: string[] = [];

  beforeAll(async () => {
    const { AppError } = await import('../../../platform/errors/app-error.ts');
    stepUpServer = await startAccountsTestServer({
      requireStepUp: async (caller) => {
        checked.push(caller.userId);
        if (!caller.amr.includes('otp')) throw new AppError('forbidden', 'Enter a code from your authenticator first.');
      },
    });
  });

  afterAll(async () => {
    await stepUpServer?.close();
  });

  it('calls the injected step-up check before touching the password', async () => {
    const userId = newId();
    const response = await stepUpServer.vigil.app.inject({
      method: 'POST',
      url: '/api/me/password',
      payload: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
      headers: stepUpServer.sessions.authorization({ userId, amr: ['pwd'] }),
    });
    expect(response.statusCode).toBe(403);
    expect(checked).toEqual([userId]);
    expect(stepUpServer.sessions.revoked).toEqual([]);
  });
});

describe(`GET /api/me (${testDatabaseKind})`, () => {
  it('needs a signed-in caller', async () => {
    const response = await server.vigil.app.inject({ method: 'GET', url: '/api/me' });
    expect(response.statusCode).toBe(401);
  });

  it("answers the caller's profile and only their own memberships", async () => {
    const userId = await verifiedUser('barbara.l@example.com', PASSWORD, 'Barbara');
    const otherId = await verifiedUser('niklaus@example.com');
    const [orgA, orgB] = [newId(), newId()];
    const now = server.clock.now();
    for (const [orgId, name] of [
      [orgA, 'Beta Corp'],
      [orgB, 'Alpha Ltd'],
    ] as const) {
      await server.testDatabase.adminQuery(
        'INSERT INTO organisations (id, slug, name, created_at) VALUES ($1, $2, $3, $4)',
        [orgId, `org-${orgId.slice(-8)}`, name, now],
      );
    }
    await server.testDatabase.adminQuery(
      "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $3, 'org_admin', $5), ($2, $3, 'viewer', $5), ($1, $4, 'builder', $5)",
      [orgA, orgB, userId, otherId, now],
    );
    const response = await server.vigil.app.inject({
      method: 'GET',
      url: '/api/me',
      headers: server.sessions.authorization({ userId }),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      id: userId,
      email: 'barbara.l@example.com',
      displayName: 'Barbara',
      emailVerified: true,
      platformAdmin: false,
      activeOrgId: null,
      memberships: [
        { orgId: orgB, orgName: 'Alpha Ltd', role: 'viewer' },
        { orgId: orgA, orgName: 'Beta Corp', role: 'org_admin' },
      ],
    });
  });
});

describe(`development outbox (${testDatabaseKind})`, () => {
  it('answers only requests from this machine', async () => {
    const local = await server.vigil.app.inject({ method: 'GET', url: '/api/dev/outbox' });
    expect(local.statusCode).toBe(200);
    expect(local.json().items.length).toBeGreaterThan(0);
    expect(local.json().items.length).toBeLessThanOrEqual(50);
    const remote = await server.vigil.app.inject({
      method: 'GET',
      url: '/api/dev/outbox',
      remoteAddress: '203.0.113.7',
    });
    expect(remote.statusCode).toBe(404);
  });
});
