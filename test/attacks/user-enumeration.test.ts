// Threat: an attacker learns which email addresses have Vigil accounts (to phish them or to aim
// password guessing) from the answers, or the time taken, of sign-up, sign-in, password reset
// and verification resend.
import bcrypt from 'bcrypt';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type AccountsTestServer,
  startAccountsTestServer,
} from '../../src/server/modules/identity/accounts/accounts.test-support.ts';
import { testDatabaseKind } from '../helpers/test-database.ts';

const PASSWORD = 'Copper-Lantern-Orbit-7419';
let server: AccountsTestServer;

function post(url: string, payload: object) {
  return server.vigil.app.inject({ method: 'POST', url, payload });
}

/** What an attacker sees: status, headers that could differ, and the body minus the request id. */
async function observed(url: string, payload: object) {
  const response = await post(url, payload);
  const { instance: _instance, ...body } = response.json() as Record<string, unknown>;
  return {
    status: response.statusCode,
    contentType: response.headers['content-type'],
    setCookie: response.headers['set-cookie'] ?? null,
    body,
  };
}

beforeAll(async () => {
  server = await startAccountsTestServer();
  // A verified account and one still waiting for verification.
  await post('/api/auth/sign-up', { email: 'known@example.com', password: PASSWORD });
  const mail = await server.lastMailTo('known@example.com');
  await post('/api/auth/verify-email', { token: server.linkToken(mail!.text, 'verify-email') });
  await post('/api/auth/sign-up', { email: 'pending@example.com', password: PASSWORD });
  await server.accounts.flush();
});

afterAll(async () => {
  await server?.close();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe(`user enumeration by message (${testDatabaseKind})`, () => {
  it('sign-up answers a registered email exactly like a new one', async () => {
    const registered = await observed('/api/auth/sign-up', { email: 'known@example.com', password: PASSWORD });
    const fresh = await observed('/api/auth/sign-up', { email: 'fresh@example.com', password: PASSWORD });
    expect(registered.status).toBe(202);
    expect(registered).toEqual(fresh);
  });

  it('sign-in answers an unknown email exactly like a wrong password', async () => {
    const wrongPassword = await observed('/api/auth/sign-in', {
      email: 'known@example.com',
      password: 'Not-It-At-All-991',
    });
    const unknownEmail = await observed('/api/auth/sign-in', {
      email: 'nobody@example.com',
      password: 'Not-It-At-All-991',
    });
    const unverifiedWrong = await observed('/api/auth/sign-in', {
      email: 'pending@example.com',
      password: 'Not-It-At-All-991',
    });
    expect(wrongPassword.status).toBe(401);
    expect(wrongPassword).toEqual(unknownEmail);
    // Without the password, an unverified account looks like any other.
    expect(unverifiedWrong).toEqual(unknownEmail);
  });

  it('password reset requests answer the same for every email', async () => {
    const known = await observed('/api/auth/password-reset/request', { email: 'known@example.com' });
    const unknown = await observed('/api/auth/password-reset/request', { email: 'nobody@example.com' });
    expect(known.status).toBe(202);
    expect(known).toEqual(unknown);
  });

  it('verification resends answer the same for unverified, verified and unknown emails', async () => {
    const pending = await observed('/api/auth/verify-email/resend', { email: 'pending@example.com' });
    const verified = await observed('/api/auth/verify-email/resend', { email: 'known@example.com' });
    const unknown = await observed('/api/auth/verify-email/resend', { email: 'nobody@example.com' });
    expect(pending.status).toBe(202);
    expect(pending).toEqual(verified);
    expect(pending).toEqual(unknown);
  });

  it('only the mailbox owner learns anything (out of band)', async () => {
    // The address's mail budget (a few per 10 minutes) was spent by the tests above.
    server.clock.advance(30 * 60_000);
    await post('/api/auth/password-reset/request', { email: 'nobody-at-all@example.com' });
    expect(await server.lastMailTo('nobody-at-all@example.com')).toBeNull();
    await post('/api/auth/sign-up', { email: 'known@example.com', password: PASSWORD });
    expect((await server.lastMailTo('known@example.com'))?.subject).toContain('tried to sign up');
  });
});

describe(`user enumeration by timing (${testDatabaseKind})`, () => {
  it('an unknown email costs one bcrypt comparison at the configured cost, like a known one', async () => {
    const compare = vi.spyOn(bcrypt, 'compare');
    await post('/api/auth/sign-in', { email: 'nobody@example.com', password: 'Not-It-At-All-991' });
    expect(compare).toHaveBeenCalledTimes(1);
    const dummyHash = compare.mock.calls[0]![1] as string;
    expect(bcrypt.getRounds(dummyHash)).toBe(server.vigil.config.bcryptCost);

    compare.mockClear();
    await post('/api/auth/sign-in', { email: 'known@example.com', password: 'Not-It-At-All-991' });
    expect(compare).toHaveBeenCalledTimes(1);
    expect(bcrypt.getRounds(compare.mock.calls[0]![1] as string)).toBe(server.vigil.config.bcryptCost);
  });

  it('sign-up hashes the password once whether or not the email is registered', async () => {
    const hash = vi.spyOn(bcrypt, 'hash');
    await post('/api/auth/sign-up', { email: 'known@example.com', password: PASSWORD });
    expect(hash).toHaveBeenCalledTimes(1);
    hash.mockClear();
    await post('/api/auth/sign-up', { email: 'another-fresh@example.com', password: PASSWORD });
    expect(hash).toHaveBeenCalledTimes(1);
  });

  it('reset and resend answer before looking the email up (the lookup runs in the background)', async () => {
    // Every database transaction waits at a closed gate: had the answer waited for the lookup,
    // the request would never complete. It completes, and the lookups run once the gate opens.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const database = server.vigil.database;
    const transactionWith = database.transactionWith.bind(database);
    let lookups = 0;
    const spy = vi.spyOn(database, 'transactionWith').mockImplementation((async (
      ...args: Parameters<typeof transactionWith>
    ) => {
      lookups += 1;
      await gate;
      return transactionWith(...args);
    }) as typeof database.transactionWith);
    const reset = await observed('/api/auth/password-reset/request', { email: 'known@example.com' });
    const resend = await observed('/api/auth/verify-email/resend', { email: 'pending@example.com' });
    expect([reset.status, resend.status]).toEqual([202, 202]);
    open();
    await server.accounts.flush();
    spy.mockRestore();
    expect(lookups).toBeGreaterThan(0);
    expect((await server.lastMailTo('known@example.com'))?.subject).toContain('Reset');
  });
});
