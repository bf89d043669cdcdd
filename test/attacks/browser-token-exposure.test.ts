// Threat: an injected script reading session tokens. Browsers must receive them only as httpOnly
// cookies — never in a JSON body a script can read — while API clients get them in the body.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../helpers/test-database.ts';
import { startTestVigil, type TestVigil } from '../helpers/test-vigil.ts';

let server: TestVigil;
const credentials = { email: 'cookie.only@example.com', password: 'amber-lantern-riverside-42' };

beforeAll(async () => {
  let current: TestVigil | null = null;
  server = await startTestVigil({
    authenticate: (request) => (current as TestVigil).vigil.identity.sessions.authenticate(request),
  });
  current = server;
  const inject = server.vigil.app.inject.bind(server.vigil.app);
  await inject({ method: 'POST', url: '/api/auth/sign-up', payload: credentials });
  await server.vigil.identity.flush();
  const outbox = (await inject({ method: 'GET', url: '/api/dev/outbox' })).json() as { items: { text: string }[] };
  const token = /#token=([A-Za-z0-9_-]+)/.exec(outbox.items[0]?.text ?? '')?.[1];
  await inject({ method: 'POST', url: '/api/auth/verify-email', payload: { token } });
});

afterAll(async () => {
  await server?.close();
});

describe(`token delivery (${testDatabaseKind})`, () => {
  it('gives a browser (Fetch Metadata present) cookies only, and an API client the tokens in the body', async () => {
    const browser = await server.vigil.app.inject({
      method: 'POST',
      url: '/api/auth/sign-in',
      payload: credentials,
      headers: { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors' },
    });
    expect(browser.statusCode).toBe(200);
    const browserBody = browser.json();
    expect(browserBody.accessToken).toBeUndefined();
    expect(browserBody.refreshToken).toBeUndefined();
    expect(browserBody.accessTokenExpiresAt).toBeTruthy();
    const cookies = [browser.headers['set-cookie']].flat().join('\n');
    expect(cookies).toMatch(/vigil_access=[^;]+;[^\n]*HttpOnly/i);
    expect(cookies).toMatch(/vigil_refresh=[^;]+;[^\n]*HttpOnly/i);

    const api = await server.vigil.app.inject({ method: 'POST', url: '/api/auth/sign-in', payload: credentials });
    expect(api.json().accessToken).toMatch(/^ey/);
    expect(api.json().refreshToken).toBeTruthy();
  });
});
