// A local OpenID Connect provider for tests, following OpenID Connect Core 1.0 / Discovery 1.0 and
// Google's "OpenID Connect" guide: discovery, JWKS, an /authorize that answers at once for the
// configured user (redirect with code + state), /token (authorization code, PKCE S256, client
// authentication by client_secret_basic or client_secret_post, redirect_uri check, single-use
// codes) issuing an RS256 ID token signed with jose, and /userinfo. Knobs make it misbehave the
// way a hostile or broken provider would (unverified email, wrong nonce, another issuer...).
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

export type OidcTestUser = { sub: string; email?: string; email_verified?: unknown; name?: string };

/** How the next answers misbehave; reset() restores honesty. */
export type OidcProviderBehaviour = {
  /** Overrides `nonce` in the ID token (a replayed or forged token). */
  nonce?: string;
  /** Overrides `iss` in the ID token. */
  issuer?: string;
  /** Overrides `aud` in the ID token. */
  audience?: string;
  /** ID token lifetime in seconds (negative: already expired). */
  lifetimeSeconds?: number;
  /** Signs the ID token with a key that is not in the JWKS. */
  foreignKey?: boolean;
  /** Leaves email out of the ID token (it is then only in /userinfo). */
  emailOnlyInUserInfo?: boolean;
  /** /authorize answers `?error=access_denied` instead of a code. */
  deny?: boolean;
};

export type OidcProviderDouble = {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The user /authorize signs in next (as if they had typed their password at the provider). */
  user: OidcTestUser;
  behaviour: OidcProviderBehaviour;
  /** What /token was asked, for assertions. */
  tokenRequests: { code: string; ok: boolean; reason?: string }[];
  reset(): void;
  /**
   * Plays the browser at the provider: GETs the authorization URL and returns the redirect back
   * (the callback URL with `code` and `state`), without following it.
   */
  authorize(authorizationUrl: string): Promise<URL>;
  close(): Promise<void>;
};

type IssuedCode = {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  nonce: string | null;
  user: OidcTestUser;
  expiresAt: number;
  used: boolean;
};

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  response.end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startOidcProvider(
  options: {
    clientId?: string;
    clientSecret?: string;
    user?: OidcTestUser;
    /** The provider's clock (ID token iat/exp), in milliseconds; Vigil's test clock in tests. */
    now?: () => number;
  } = {},
): Promise<OidcProviderDouble> {
  const now = options.now ?? (() => Date.now());
  const clientId = options.clientId ?? 'vigil-test-client';
  const clientSecret = options.clientSecret ?? randomBytes(16).toString('hex');
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const foreign = await generateKeyPair('RS256');
  const kid = randomBytes(8).toString('hex');
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const codes = new Map<string, IssuedCode>();
  const accessTokens = new Map<string, OidcTestUser>();

  const double: OidcProviderDouble = {
    issuer: '',
    clientId,
    clientSecret,
    user: options.user ?? { sub: '1000001', email: 'ada@example.com', email_verified: true, name: 'Ada Lovelace' },
    behaviour: {},
    tokenRequests: [],
    reset() {
      double.behaviour = {};
    },
    async authorize(authorizationUrl) {
      const response = await fetch(authorizationUrl, { redirect: 'manual' });
      const location = response.headers.get('location');
      if (response.status !== 302 || !location) throw new Error(`authorize answered ${response.status}`);
      return new URL(location);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };

  function authorize(url: URL, response: ServerResponse) {
    const params = url.searchParams;
    const redirectUri = params.get('redirect_uri');
    if (!redirectUri || params.get('client_id') !== clientId) return send(response, 400, { error: 'invalid_request' });
    const back = new URL(redirectUri);
    const state = params.get('state');
    if (state !== null) back.searchParams.set('state', state);
    if (double.behaviour.deny) {
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('error_description', 'The user declined.');
    } else if (
      params.get('response_type') !== 'code' ||
      !params.get('scope')?.split(' ').includes('openid') ||
      params.get('code_challenge_method') !== 'S256' ||
      !params.get('code_challenge')
    ) {
      back.searchParams.set('error', 'invalid_request');
    } else {
      const code = randomBytes(24).toString('base64url');
      codes.set(code, {
        clientId,
        redirectUri,
        codeChallenge: params.get('code_challenge') ?? '',
        nonce: params.get('nonce'),
        user: { ...double.user },
        expiresAt: now() + 60_000,
        used: false,
      });
      back.searchParams.set('code', code);
    }
    response.writeHead(302, { location: back.href });
    response.end();
  }

  async function token(request: IncomingMessage, response: ServerResponse) {
    const form = new URLSearchParams(await readBody(request));
    const code = form.get('code') ?? '';
    const refuse = (reason: string, error = 'invalid_grant', status = 400) => {
      double.tokenRequests.push({ code, ok: false, reason });
      send(response, status, { error, error_description: reason });
    };
    // Client authentication: HTTP Basic (RFC 6749 2.3.1, form-urlencoded parts) or in the body.
    let presentedId = form.get('client_id');
    let presentedSecret = form.get('client_secret');
    const basic = /^Basic (.+)$/.exec(request.headers.authorization ?? '');
    if (basic?.[1]) {
      const [id, secret] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
      presentedId = decodeURIComponent(id ?? '');
      presentedSecret = decodeURIComponent(secret ?? '');
    }
    if (presentedId !== clientId || presentedSecret !== clientSecret)
      return refuse('client authentication failed', 'invalid_client', 401);
    if (form.get('grant_type') !== 'authorization_code') return refuse('grant type', 'unsupported_grant_type');
    const issued = codes.get(code);
    if (!issued || issued.used || issued.expiresAt < now()) return refuse('unknown, used or expired code');
    issued.used = true;
    if (form.get('redirect_uri') !== issued.redirectUri) return refuse('redirect_uri mismatch');
    const verifier = form.get('code_verifier') ?? '';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    if (challenge !== issued.codeChallenge) return refuse('PKCE verification failed');

    const behaviour = double.behaviour;
    const issuedAt = Math.floor(now() / 1000);
    const claims: Record<string, unknown> = {
      name: issued.user.name,
      ...(behaviour.emailOnlyInUserInfo
        ? {}
        : { email: issued.user.email, email_verified: issued.user.email_verified }),
    };
    const nonce = behaviour.nonce ?? issued.nonce;
    if (nonce !== null) claims.nonce = nonce;
    const idToken = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(behaviour.issuer ?? double.issuer)
      .setSubject(issued.user.sub)
      .setAudience(behaviour.audience ?? clientId)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + (behaviour.lifetimeSeconds ?? 3600))
      .sign(behaviour.foreignKey ? foreign.privateKey : privateKey);
    const accessToken = randomBytes(24).toString('base64url');
    accessTokens.set(accessToken, issued.user);
    double.tokenRequests.push({ code, ok: true });
    send(response, 200, {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'openid email profile',
      id_token: idToken,
    });
  }

  function userInfo(request: IncomingMessage, response: ServerResponse) {
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const user = bearer ? accessTokens.get(bearer) : undefined;
    if (!user)
      return send(response, 401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
    send(response, 200, { sub: user.sub, email: user.email, email_verified: user.email_verified, name: user.name });
  }

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', double.issuer || 'http://localhost');
    void (async () => {
      if (request.method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
        return send(response, 200, {
          issuer: double.issuer,
          authorization_endpoint: `${double.issuer}/authorize`,
          token_endpoint: `${double.issuer}/token`,
          userinfo_endpoint: `${double.issuer}/userinfo`,
          jwks_uri: `${double.issuer}/jwks`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
          scopes_supported: ['openid', 'email', 'profile'],
          token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
          claims_supported: ['sub', 'email', 'email_verified', 'name', 'iss', 'aud', 'exp', 'iat', 'nonce'],
          code_challenge_methods_supported: ['S256'],
        });
      }
      if (request.method === 'GET' && url.pathname === '/jwks') return send(response, 200, { keys: [publicJwk] });
      if (request.method === 'GET' && url.pathname === '/authorize') return authorize(url, response);
      if (request.method === 'POST' && url.pathname === '/token') return token(request, response);
      if (url.pathname === '/userinfo') return userInfo(request, response);
      send(response, 404, { error: 'not_found' });
    })().catch((error: unknown) => send(response, 500, { error: 'server_error', error_description: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  double.issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return double;
}
