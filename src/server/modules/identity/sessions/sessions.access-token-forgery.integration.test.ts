// Threat: a forged or doctored access token accepted as genuine — `alg: none`, HS256 keyed with our
// public key, a key the token brings along (jwk/jku), an unknown kid, an expired or misaddressed
// token, another kind of token, or a token whose role/org was edited after signing.
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, exportJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../../../../../test/helpers/test-database.ts';
import { newId } from '../../../platform/db/ids.ts';
import type { SessionTokens } from './session-cookies.ts';
import { ACCESS_TOKEN_LIFETIME_MS } from './session-lifetimes.ts';
import { type SessionsTestServer, startSessionsTestServer } from './test-support/start-sessions-test-server.ts';

let server: SessionsTestServer;
let userId: string;
let orgId: string;
let adminOrg: string;
let tokens: SessionTokens;

beforeAll(async () => {
  server = await startSessionsTestServer();
  userId = await server.createUser();
  orgId = await server.createOrganisation();
  adminOrg = await server.createOrganisation();
  await server.addMembership({ orgId, userId, role: 'viewer' });
  const response = await server.vigil.app.inject({
    method: 'POST',
    url: '/api/test/sign-in',
    payload: { userId, orgId },
  });
  tokens = response.json() as SessionTokens;
});

afterAll(async () => {
  await server?.close();
});

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function request(token: string, org = orgId) {
  return server.vigil.app.inject({
    method: 'GET',
    url: `/api/orgs/${org}/test-whoami`,
    headers: { authorization: `Bearer ${token}` },
  });
}

function genuineClaims() {
  return decodeJwt(tokens.accessToken);
}

/** A token signed with Vigil's real key but with chosen header/claims: what a confused deputy could produce. */
async function signWithOurKey(options: {
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  omit?: string[];
}) {
  const { kid, privateKey } = await server.sessions.dependencies.keys.signingKey();
  const omitted = new Set(options.omit ?? []);
  const claims = Object.fromEntries(
    Object.entries({ ...genuineClaims(), ...options.claims }).filter(([name]) => !omitted.has(name)),
  );
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt', ...options.header })
    .sign(privateKey);
}

describe(`access token forgery (${testDatabaseKind})`, () => {
  it('accepts the genuine token (the baseline every attack below is a variation of)', async () => {
    expect((await request(tokens.accessToken)).statusCode).toBe(200);
  });

  it('refuses alg: none', async () => {
    const header = { ...decodeProtectedHeader(tokens.accessToken), alg: 'none' };
    const unsigned = `${base64url(header)}.${base64url(genuineClaims())}.`;
    expect((await request(unsigned)).statusCode).toBe(401);
  });

  it('refuses HS256 signed with the published public key as the HMAC secret', async () => {
    const jwks = (await server.vigil.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json() as {
      keys: { kid: string; x: string }[];
    };
    const kid = decodeProtectedHeader(tokens.accessToken).kid as string;
    const publicKey = jwks.keys.find((key) => key.kid === kid) as { x: string };
    for (const secret of [publicKey.x, Buffer.from(publicKey.x, 'base64url'), JSON.stringify(publicKey)]) {
      const signingInput = `${base64url({ alg: 'HS256', kid, typ: 'at+jwt' })}.${base64url({ ...genuineClaims(), role: 'org_admin' })}`;
      const signature = createHmac('sha256', secret).update(signingInput).digest('base64url');
      expect((await request(`${signingInput}.${signature}`)).statusCode).toBe(401);
    }
  });

  it('refuses a token carrying its own key in a jwk header, or pointing at one with jku/x5u', async () => {
    const attacker = generateKeyPairSync('ed25519');
    const jwk = await exportJWK(attacker.publicKey);
    const claims = { ...genuineClaims(), role: 'org_admin' };
    const ourKid = decodeProtectedHeader(tokens.accessToken).kid as string;
    for (const header of [
      { jwk },
      { jwk, kid: ourKid },
      { jku: 'https://attacker.example/jwks.json', kid: ourKid },
      { x5u: 'https://attacker.example/cert.pem', kid: ourKid },
    ]) {
      const forged = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', ...header })
        .sign(attacker.privateKey);
      expect((await request(forged)).statusCode).toBe(401);
    }
  });

  it('refuses an unknown kid, and a missing one', async () => {
    expect((await request(await signWithOurKey({ header: { kid: newId() } }))).statusCode).toBe(401);
    expect((await request(await signWithOurKey({ header: { kid: '../../etc/passwd' } }))).statusCode).toBe(401);
    const { privateKey } = await server.sessions.dependencies.keys.signingKey();
    const noKid = await new SignJWT(genuineClaims())
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt' })
      .sign(privateKey);
    expect((await request(noKid)).statusCode).toBe(401);
  });

  it('refuses an expired token', async () => {
    const iat = Math.floor(server.clock.now().getTime() / 1000) - ACCESS_TOKEN_LIFETIME_MS / 1000 - 60;
    const expired = await signWithOurKey({ claims: { iat, exp: iat + ACCESS_TOKEN_LIFETIME_MS / 1000 } });
    const response = await request(expired);
    expect(response.statusCode).toBe(401);
    expect(response.json().detail).toMatch(/expired/);
  });

  it('refuses the wrong audience, the wrong issuer, and missing exp/aud/iss', async () => {
    expect((await request(await signWithOurKey({ claims: { aud: 'some-other-api' } }))).statusCode).toBe(401);
    expect((await request(await signWithOurKey({ claims: { iss: 'https://evil.example' } }))).statusCode).toBe(401);
    for (const claim of ['exp', 'aud', 'iss', 'iat', 'sub', 'sid']) {
      expect((await request(await signWithOurKey({ omit: [claim] }))).statusCode, claim).toBe(401);
    }
  });

  it('refuses another kind of JWT signed by us (typ), and a refresh token used as an access token', async () => {
    expect((await request(await signWithOurKey({ header: { typ: 'JWT' } }))).statusCode).toBe(401);
    expect((await request(await signWithOurKey({ header: { typ: undefined } }))).statusCode).toBe(401);
    expect((await request(tokens.refreshToken)).statusCode).toBe(401);
  });

  it('refuses a token whose role or organisation was edited after signing', async () => {
    const [header, , signature] = tokens.accessToken.split('.');
    for (const edit of [{ role: 'org_admin' }, { org: adminOrg }, { sub: newId() }, { amr: ['pwd', 'otp'] }]) {
      const doctored = `${header}.${base64url({ ...genuineClaims(), ...edit })}.${signature}`;
      expect((await request(doctored, 'org' in edit ? adminOrg : orgId)).statusCode).toBe(401);
    }
  });

  it('refuses a validly signed token for a session that does not exist or belongs to someone else', async () => {
    expect((await request(await signWithOurKey({ claims: { sid: newId() } }))).statusCode).toBe(401);
    const otherUser = await server.createUser();
    expect((await request(await signWithOurKey({ claims: { sub: otherUser } }))).statusCode).toBe(401);
  });

  it('refuses junk without reaching the database', async () => {
    for (const junk of ['', 'a.b.c', 'x'.repeat(5000), `${'e30'}.${'e30'}.`, 'Bearer', '...']) {
      expect((await request(junk)).statusCode, junk.slice(0, 20)).toBe(401);
    }
  });
});
