// Threat: online password guessing — many passwords tried against one account (from one or
// many addresses), one password sprayed across many accounts from one address, or the current
// password guessed through change-password with a stolen access token.
import bcrypt from 'bcrypt';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_ACCOUNT_LIMITS } from '../../src/server/modules/identity/accounts/account-context.ts';
import {
  type AccountsTestServer,
  startAccountsTestServer,
} from '../../src/server/modules/identity/accounts/accounts.test-support.ts';
import { testDatabaseKind } from '../helpers/test-database.ts';

const PASSWORD = 'Copper-Lantern-Orbit-7419';
/** The module's own budget of wrong passwords; the platform's per-route limit may stop guessing sooner. */
const GUESSES = DEFAULT_ACCOUNT_LIMITS.passwordGuessesPerAccount.capacity;
let server: AccountsTestServer;

function signIn(target: AccountsTestServer, email: string, password: string, ip: string) {
  return target.vigil.app.inject({
    method: 'POST',
    url: '/api/auth/sign-in',
    payload: { email, password },
    remoteAddress: ip,
  });
}

async function verifiedAccount(target: AccountsTestServer, email: string): Promise<string> {
  await target.vigil.app.inject({
    method: 'POST',
    url: '/api/auth/sign-up',
    payload: { email, password: PASSWORD },
    remoteAddress: '198.51.100.200',
  });
  const mail = await target.lastMailTo(email);
  await target.vigil.app.inject({
    method: 'POST',
    url: '/api/auth/verify-email',
    payload: { token: target.linkToken(mail!.text, 'verify-email') },
  });
  const [row] = await target.testDatabase.adminQuery<{ id: string }>(
    'SELECT id FROM users WHERE email_normalised = $1',
    [email],
  );
  return row!.id;
}

/** Sends wrong passwords until refused; returns how many were answered 401 and the refusal. */
async function guessUntilRefused(attempt: (index: number) => ReturnType<typeof signIn>) {
  for (let index = 0; index <= GUESSES; index += 1) {
    const response = await attempt(index);
    if (response.statusCode === 429) return { wrongAnswered: index, refusal: response };
    expect(response.statusCode).toBe(401);
  }
  throw new Error(`still guessing after ${GUESSES + 1} attempts`);
}

beforeAll(async () => {
  // Production limits: the platform's per-route limits and the module's own.
  server = await startAccountsTestServer({ platformRateLimits: true });
  for (const name of ['victim', 'sprayed', 'distributed']) await verifiedAccount(server, `${name}@example.com`);
});

afterAll(async () => {
  await server?.close();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe(`sign-in brute force (${testDatabaseKind})`, () => {
  it('stops guessing one account from one address, even with the right password, until Retry-After', async () => {
    const { wrongAnswered, refusal } = await guessUntilRefused((index) =>
      signIn(server, 'victim@example.com', `Guess-number-${index}-xyz`, '203.0.113.1'),
    );
    expect(wrongAnswered).toBeLessThanOrEqual(GUESSES);
    expect(refusal.json().type).toBe('/problems/rate-limited');
    const retryAfter = Number(refusal.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);

    // Refused before any bcrypt work: the limit also caps the CPU an attacker can burn.
    const compare = vi.spyOn(bcrypt, 'compare');
    expect((await signIn(server, 'victim@example.com', PASSWORD, '203.0.113.1')).statusCode).toBe(429);
    expect(compare).not.toHaveBeenCalled();

    server.clock.advance(retryAfter * 1000);
    expect((await signIn(server, 'victim@example.com', PASSWORD, '203.0.113.1')).statusCode).toBe(200);
  });

  it('stops guessing one account from many addresses (per-account limit)', async () => {
    const { wrongAnswered } = await guessUntilRefused((index) =>
      signIn(server, 'distributed@example.com', `Guess-number-${index}-xyz`, `192.0.2.${index + 1}`),
    );
    expect(wrongAnswered).toBeLessThanOrEqual(GUESSES);
  });

  it('stops spraying many accounts from one address (per-IP limit), whether they exist or not, and audits it', async () => {
    const { wrongAnswered } = await guessUntilRefused((index) =>
      signIn(
        server,
        index === 0 ? 'sprayed@example.com' : `nobody-${index}@example.com`,
        'Spring-2026-Pw!',
        '203.0.113.50',
      ),
    );
    expect(wrongAnswered).toBe(DEFAULT_ACCOUNT_LIMITS.passwordGuessesPerIp.capacity);
    const refused = await server.testDatabase.adminQuery<{ outcome: string }>(
      "SELECT outcome FROM audit_events WHERE action = 'account.signed_in' AND actor_ip = '203.0.113.50' AND metadata->>'status' = '429'",
    );
    expect(refused).toEqual([{ outcome: 'failure' }]);
    // The sprayed account is not locked for its owner elsewhere.
    expect((await signIn(server, 'sprayed@example.com', PASSWORD, '198.51.100.7')).statusCode).toBe(200);
  });

  it('stops guessing the current password through change-password with a stolen access token', async () => {
    const userId = await verifiedAccount(server, 'stolen-token@example.com');
    const authorization = server.sessions.authorization({ userId });
    const change = (currentPassword: string) =>
      server.vigil.app.inject({
        method: 'POST',
        url: '/api/me/password',
        payload: { currentPassword, newPassword: 'Harbor-Quince-Meteor-2086' },
        headers: authorization,
        remoteAddress: '203.0.113.77',
      });
    for (let index = 0; index < GUESSES; index += 1) {
      expect((await change(`Guess-number-${index}-xyz`)).statusCode).toBe(400);
    }
    expect((await change(`Guess-number-last-xyz`)).statusCode).toBe(429);
    expect((await change(PASSWORD)).statusCode).toBe(429);
  });
});

describe(`the owner is not locked out by their own sign-ins (${testDatabaseKind})`, () => {
  let moduleOnly: AccountsTestServer;

  beforeAll(async () => {
    // The module's limits alone: the platform's count every request, right or wrong.
    moduleOnly = await startAccountsTestServer();
    await verifiedAccount(moduleOnly, 'regular@example.com');
  });

  afterAll(async () => {
    await moduleOnly?.close();
  });

  it('gives a guess back for every right password', async () => {
    for (let index = 0; index < GUESSES - 1; index += 1) {
      expect((await signIn(moduleOnly, 'regular@example.com', `Typo-${index}-xyz`, '198.51.100.8')).statusCode).toBe(
        401,
      );
    }
    for (let index = 0; index < GUESSES * 2; index += 1) {
      expect((await signIn(moduleOnly, 'regular@example.com', PASSWORD, '198.51.100.8')).statusCode).toBe(200);
    }
    expect((await signIn(moduleOnly, 'regular@example.com', 'One-more-typo-xyz', '198.51.100.8')).statusCode).toBe(401);
    expect((await signIn(moduleOnly, 'regular@example.com', 'And-another-xyz', '198.51.100.8')).statusCode).toBe(429);
  });
});
