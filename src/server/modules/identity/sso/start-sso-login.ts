import { randomBytes } from 'node:crypto';
import { lte } from 'drizzle-orm';
import * as oidc from 'openid-client';
import { newId } from '../../../platform/db/ids.ts';
import { withPlatformTransaction } from '../../../platform/db/tenant-transaction.ts';
import { codeVerifierPlace, noncePlace, SSO_ATTEMPT_MS, type SsoDependencies, sha256Hex } from './sso-dependencies.ts';
import { ssoAttempts, ssoPendingLinks } from './sso-tables.ts';

export type StartedSsoLogin = {
  authorizationUrl: string;
  /** Goes into the httpOnly cookie that binds the attempt to this browser. */
  browserBinding: string;
  expiresAt: Date;
};

/**
 * Starts an authorization-code request: fresh `state`, `nonce` and PKCE (S256) verifier, recorded
 * server-side for 10 minutes (state and browser binding hashed, verifier and nonce sealed) and
 * returned as the provider URL to send the browser to. With `linkUserId` (a signed-in user on the
 * security page) the callback links the identity instead of signing in.
 */
export async function startSsoLogin(
  deps: SsoDependencies,
  options: { providerId: string; redirectUri: string; linkUserId: string | null; requestId: string },
): Promise<StartedSsoLogin> {
  const { database, keyring, clock, providers } = deps;
  const provider = providers.find(options.providerId);
  const client = await providers.client(provider);
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const browserBinding = randomBytes(32).toString('base64url');
  const authorizationUrl = oidc.buildAuthorizationUrl(client, {
    redirect_uri: options.redirectUri,
    response_type: 'code',
    scope: 'openid email profile',
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    // Google signs the browser's current account in silently otherwise; let people choose.
    ...(provider.kind === 'google' ? { prompt: 'select_account' } : {}),
  });

  const id = newId();
  const now = clock.now();
  const expiresAt = new Date(now.getTime() + SSO_ATTEMPT_MS);
  const [codeVerifierSealed, nonceSealed] = await Promise.all([
    keyring.seal(codeVerifier, codeVerifierPlace(id)),
    keyring.seal(nonce, noncePlace(id)),
  ]);
  await withPlatformTransaction(
    database,
    { userId: options.linkUserId, requestId: options.requestId },
    async (transaction) => {
      // Sweep on the way: an abandoned attempt or pending link is worthless after its expiry.
      await transaction.delete(ssoAttempts).where(lte(ssoAttempts.expiresAt, now));
      await transaction.delete(ssoPendingLinks).where(lte(ssoPendingLinks.expiresAt, now));
      await transaction.insert(ssoAttempts).values({
        id,
        provider: provider.id,
        stateHash: sha256Hex(state),
        browserBindingHash: sha256Hex(browserBinding),
        codeVerifierSealed,
        nonceSealed,
        redirectUri: options.redirectUri,
        linkUserId: options.linkUserId,
        createdAt: now,
        expiresAt,
      });
    },
  );
  return { authorizationUrl: authorizationUrl.href, browserBinding, expiresAt };
}
