// Attack: login CSRF and authorization-code injection. The attacker starts a sign-in in their own
// browser and lures the victim's browser into completing it (so the victim works inside the
// attacker's account), replays a callback URL seen in a log or history, or injects a code obtained
// for their own session into the victim's callback. The state is single use, expires, and is bound
// to the browser that started it (httpOnly cookie); PKCE binds the code to that attempt's verifier.
import { describe, expect, it } from 'vitest';
import { useSsoTestServer } from '../../src/server/modules/identity/sso/sso.test-support.ts';
import { testDatabaseKind } from '../helpers/test-database.ts';

const server = useSsoTestServer();

describe(`SSO login CSRF, replay and code injection (${testDatabaseKind})`, () => {
  it("refuses the attacker's callback completed in the victim's browser (no or another binding cookie)", async () => {
    const s = server();
    s.google.user = { sub: 'attacker-csrf', email: 'attacker.csrf@example.com', email_verified: true };
    const attacker = s.browser();
    const back = await attacker.atProvider(s.google, await attacker.start('google'));

    const victimWithoutCookie = s.browser();
    const refused = await victimWithoutCookie.callback('google', back);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().type).toBe('/problems/sso-state-invalid');

    const victimMidSignIn = s.browser();
    await victimMidSignIn.start('google');
    const alsoRefused = await victimMidSignIn.callback('google', back);
    expect(alsoRefused.json().type).toBe('/problems/sso-state-invalid');
    expect(JSON.stringify(alsoRefused.headers['set-cookie'] ?? [])).not.toMatch(/vigil_access/);
  });

  it('refuses an unknown or missing state', async () => {
    const s = server();
    const browser = s.browser();
    const back = await browser.atProvider(s.google, await browser.start('google'));
    const forged = new URL(back);
    forged.searchParams.set('state', 'x'.repeat(43));
    expect((await browser.callback('google', forged)).json().type).toBe('/problems/sso-state-invalid');
    forged.searchParams.delete('state');
    expect((await browser.callback('google', forged)).json().type).toBe('/problems/sso-state-invalid');
  });

  it('accepts a state once: a replayed callback is refused', async () => {
    const s = server();
    s.google.user = { sub: 'replay-user', email: 'replay@example.com', email_verified: true };
    const browser = s.browser();
    const url = await browser.start('google');
    const binding = browser.cookies.get('vigil_sso') as string;
    const back = await browser.atProvider(s.google, url);
    expect((await browser.callback('google', back)).statusCode).toBe(200);
    // Even with the cookie put back, the state is spent.
    browser.cookies.set('vigil_sso', binding);
    const replay = await browser.callback('google', back);
    expect(replay.statusCode).toBe(400);
    expect(replay.json().type).toBe('/problems/sso-state-invalid');
  });

  it('refuses a state after its 10 minutes', async () => {
    const s = server();
    const browser = s.browser();
    const back = await browser.atProvider(s.google, await browser.start('google'));
    s.clock.advance(10 * 60_000 + 1);
    expect((await browser.callback('google', back)).json().type).toBe('/problems/sso-state-invalid');
  });

  it("refuses a code injected from another attempt: the victim's PKCE verifier does not match", async () => {
    const s = server();
    s.acme.user = { sub: 'injector', email: 'injector@example.com', email_verified: true };
    const attacker = s.browser();
    const attackerBack = await attacker.atProvider(s.acme, await attacker.start('acme'));
    const victim = s.browser();
    const victimBack = await victim.atProvider(s.acme, await victim.start('acme'));
    // The victim's state with the attacker's code.
    const injected = new URL(victimBack);
    injected.searchParams.set('code', attackerBack.searchParams.get('code') ?? '');
    const response = await victim.callback('acme', injected);
    expect(response.statusCode).toBe(401);
    expect(response.json().type).toBe('/problems/sso-response-invalid');
    expect(s.acme.tokenRequests.at(-1)).toMatchObject({ ok: false, reason: 'PKCE verification failed' });
  });

  it('reports a provider refusal as cancelled, signing nobody in', async () => {
    const s = server();
    s.google.behaviour = { deny: true };
    try {
      const response = await s.browser().signIn('google', s.google);
      expect(response.statusCode).toBe(400);
      expect(response.json().type).toBe('/problems/sso-cancelled');
    } finally {
      s.google.reset();
    }
  });
});
