import * as oidc from 'openid-client';
import type { SsoProviderConfig } from '../../../config.ts';
import { AppError } from '../../../platform/errors/app-error.ts';
import type { SsoProviders } from './sso-providers.ts';

/** Who the provider says signed in: its stable subject and a verified email address. */
export type VerifiedSsoIdentity = { subject: string; email: string; name: string | null };

/**
 * Redeems the authorization code at the provider's token endpoint (with the PKCE verifier and
 * client authentication) and validates the ID token with openid-client: signature from the
 * provider's JWKS, `iss`, `aud` (our client id), `exp`/`iat`, and `nonce` equal to the one this
 * attempt sent. Then insists on a verified email: Vigil links and creates accounts by email, so an
 * address the provider does not vouch for would let anyone claim anyone's account.
 */
export async function exchangeAuthorizationCode(options: {
  providers: SsoProviders;
  provider: SsoProviderConfig;
  callbackUrl: URL;
  state: string;
  nonce: string;
  codeVerifier: string;
}): Promise<VerifiedSsoIdentity> {
  const { providers, provider } = options;
  const client = await providers.client(provider);
  let claims: oidc.IDToken | undefined;
  let userInfo: oidc.UserInfoResponse | null = null;
  try {
    const tokens = await oidc.authorizationCodeGrant(client, options.callbackUrl, {
      pkceCodeVerifier: options.codeVerifier,
      expectedState: options.state,
      expectedNonce: options.nonce,
      idTokenExpected: true,
    });
    providers.rememberKeys(provider, client);
    claims = tokens.claims();
    // Some providers put the email only in the UserInfo response, not in the ID token.
    if (claims && typeof claims.email !== 'string')
      userInfo = await oidc.fetchUserInfo(client, tokens.access_token, claims.sub);
  } catch (error) {
    throw providerError(provider, error);
  }
  if (!claims) throw new AppError('sso-response-invalid', `${provider.name} did not return an ID token.`);
  const source = userInfo ?? claims;
  const email = typeof source.email === 'string' ? source.email.trim() : null;
  if (!email || email.length > 254 || !email.includes('@')) {
    throw new AppError('sso-email-unverified', `${provider.name} did not share an email address for this account.`);
  }
  // Strictly the boolean true (OIDC Core 5.1); a missing claim or "true" as a string is not a promise.
  if (source.email_verified !== true) {
    throw new AppError(
      'sso-email-unverified',
      `${provider.name} has not verified ${email}. Verify it there first, or sign up with a password.`,
    );
  }
  if (claims.sub.length === 0 || claims.sub.length > 255)
    throw new AppError('sso-response-invalid', `${provider.name} returned an unusable subject.`);
  const name = typeof source.name === 'string' ? source.name.trim().slice(0, 200) : null;
  return { subject: claims.sub, email, name: name || null };
}

/** Maps openid-client's failures to problems: the provider said no, gave a bad answer, or is down. */
function providerError(provider: SsoProviderConfig, error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof oidc.AuthorizationResponseError) {
    return new AppError('sso-cancelled', `${provider.name} did not sign you in (${error.error}).`);
  }
  if (error instanceof oidc.ResponseBodyError) {
    return error.status >= 500
      ? new AppError('sso-provider-unavailable', `${provider.name} could not complete the sign-in; try again later.`)
      : new AppError('sso-response-invalid', `${provider.name} refused the sign-in code (${error.error}).`);
  }
  if (isNetworkFailure(error)) {
    return new AppError('sso-provider-unavailable', `${provider.name} could not be reached; try again later.`);
  }
  // Everything else openid-client raises is a validation failure: issuer, audience, expiry,
  // signature, nonce, state or a malformed response.
  return new AppError(
    'sso-response-invalid',
    `${provider.name}'s answer did not pass validation; nobody was signed in.`,
  );
}

function isNetworkFailure(error: unknown): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if (current.name === 'TimeoutError' || current.name === 'AbortError') return true;
    if (current instanceof TypeError && /fetch failed/i.test(current.message)) return true;
  }
  return false;
}
