import { z } from 'zod';

/**
 * Every error the API returns is an RFC 9457 problem document. `type` is a stable URI
 * `/problems/<code>`; clients switch on it, never on `title` or `detail`.
 */
export const problemCodes = {
  'bad-request': {
    status: 400,
    title: 'Bad request',
    description: 'The request could not be understood: malformed JSON, a bad header or an invalid URL.',
  },
  'validation-failed': {
    status: 400,
    title: 'Validation failed',
    description:
      'The request was well-formed but some fields are invalid. `errors` lists each field (as a JSON pointer) and what is wrong.',
  },
  unauthenticated: {
    status: 401,
    title: 'Authentication required',
    description:
      'The route needs a signed-in caller and none was presented, or the credentials were invalid or expired.',
  },
  forbidden: {
    status: 403,
    title: 'Forbidden',
    description: 'The caller is signed in but their role does not grant the permission this route needs.',
  },
  'not-found': {
    status: 404,
    title: 'Not found',
    description:
      'Nothing exists at this address, or it belongs to an organisation the caller cannot see (the two are deliberately indistinguishable).',
  },
  'method-not-allowed': {
    status: 405,
    title: 'Method not allowed',
    description: 'The address exists but does not accept this HTTP method; the `Allow` header lists the ones it does.',
  },
  conflict: {
    status: 409,
    title: 'Conflict',
    description: 'The request conflicts with the current state of the resource.',
  },
  'payload-too-large': {
    status: 413,
    title: 'Payload too large',
    description: 'The request body exceeds the limit for this route.',
  },
  'unsupported-media-type': {
    status: 415,
    title: 'Unsupported media type',
    description: 'The request body must be sent as `application/json`.',
  },
  'rate-limited': {
    status: 429,
    title: 'Too many requests',
    description: 'A rate limit was exceeded; retry after the number of seconds in `Retry-After`.',
  },
  internal: {
    status: 500,
    title: 'Internal error',
    description:
      'Something failed on our side. The `instance` field carries the request id to quote to support; no details are exposed.',
  },
  unavailable: {
    status: 503,
    title: 'Service unavailable',
    description: 'A dependency (usually the database) is unreachable or not migrated yet. Retry later.',
  },
  'invalid-credentials': {
    status: 401,
    title: 'Invalid email or password',
    description:
      'Sign-in failed. The same answer is given for an unknown email, a wrong password and an account without a password, so it does not reveal which emails have accounts.',
  },
  'email-not-verified': {
    status: 403,
    title: 'Email not verified',
    description:
      'The password was right but the email address has not been verified yet: follow the link in the verification email (or ask for a new one). Only given after a correct password.',
  },
  'account-suspended': {
    status: 403,
    title: 'Account suspended',
    description:
      'The password was right but the account has been suspended by an administrator. Only given after a correct password.',
  },
  'weak-password': {
    status: 400,
    title: 'Password too weak',
    description:
      'The new password is shorter than 12 characters, is a commonly used password or is easy to guess (e.g. built from your email or name). `detail` says why and how to improve it.',
  },
  'password-too-long': {
    status: 400,
    title: 'Password too long',
    description:
      'Passwords are limited to 72 bytes of UTF-8 (bcrypt ignores anything after that, so a longer one would be silently cut). Characters outside ASCII take 2 to 4 bytes each.',
  },
  'invalid-email-token': {
    status: 400,
    title: 'Link invalid or expired',
    description:
      'The email verification or password reset link is unknown, has expired or has already been used. Ask for a new one.',
  },
  'invalid-mfa-code': {
    status: 400,
    title: 'Invalid code',
    description:
      'The authenticator code or recovery code is wrong, outside the accepted ±30 s window, or was already used (each code works once). Wrong codes count towards a lockout.',
  },
  'mfa-locked': {
    status: 429,
    title: 'Too many wrong codes',
    description:
      'Five or more wrong codes in a row locked the second factor for this account; each further wrong code doubles the wait (up to an hour). Retry after the number of seconds in `Retry-After`.',
  },
  'mfa-challenge-invalid': {
    status: 401,
    title: 'Sign-in step expired',
    description:
      'The sign-in challenge is unknown, expired (after 5 minutes) or already used, or it is for another step. Sign in again with your password.',
  },
  'mfa-enrolment-required': {
    status: 403,
    title: 'Set up MFA first',
    description:
      'This account must use multi-factor authentication (platform administrators always do) and has none yet: the sign-in challenge only allows enrolling an authenticator app.',
  },
  'support-access-required': {
    status: 403,
    title: 'Support access not granted',
    description:
      "Platform administrators can read an organisation's deals only while one of its org admins has granted support access (Organisation settings → Support access) and the grant has not expired or been revoked. Ask the organisation to grant it; secrets are never readable, grant or no grant.",
  },
  'step-up-required': {
    status: 403,
    title: 'Confirm with a code',
    description:
      'This action needs a second-factor code entered within the last 10 minutes. Send one to `POST /api/auth/step-up`, then retry the action.',
  },
  'token-reuse-detected': {
    status: 401,
    title: 'Session ended: refresh token reused',
    description:
      'A refresh token that had already been used was presented again, which happens when a token is stolen and both the thief and the owner use it. The whole session was ended and the event audited; sign in again (and review your sessions).',
  },
  'csrf-failed': {
    status: 403,
    title: 'CSRF check failed',
    description:
      "A state-changing request authenticated by session cookies must echo the session's CSRF token (the `vigil_csrf` cookie) in the `x-csrf-token` header. It was missing or wrong.",
  },
  'sso-provider-unknown': {
    status: 404,
    title: 'Unknown sign-in provider',
    description: 'No single sign-on provider with this id is configured on this installation.',
  },
  'sso-provider-unavailable': {
    status: 503,
    title: 'Sign-in provider unreachable',
    description:
      "The single sign-on provider's discovery document, keys or token endpoint could not be reached or gave an unusable answer. Retry later or sign in another way.",
  },
  'sso-state-invalid': {
    status: 400,
    title: 'Sign-in link expired',
    description:
      'The single sign-on answer does not belong to a sign-in started in this browser in the last 10 minutes, or was already used (each one works once). Start again from the sign-in page.',
  },
  'sso-response-invalid': {
    status: 401,
    title: 'Sign-in provider answer refused',
    description:
      'The answer of the single sign-on provider failed validation (ID token issuer, audience, expiry, signature or nonce; the code or its PKCE verifier was refused). Nobody was signed in.',
  },
  'sso-cancelled': {
    status: 400,
    title: 'Sign-in cancelled at the provider',
    description: 'The single sign-on provider returned an error instead of a code (for example the user declined).',
  },
  'sso-email-unverified': {
    status: 403,
    title: 'Email not verified at the provider',
    description:
      'The single sign-on provider does not vouch that the email address belongs to this user (`email_verified` is not true, or no email was given). Vigil signs in only with verified addresses: verify it at the provider, or sign up with a password.',
  },
  'sso-link-invalid': {
    status: 401,
    title: 'Linking step expired',
    description:
      'The pending link between a provider identity and an existing account is unknown, expired (after 10 minutes) or already used. Sign in with the provider again.',
  },
  'sso-identity-in-use': {
    status: 409,
    title: 'Identity linked to another account',
    description: 'This provider identity already signs in to another Vigil account; unlink it there first.',
  },
  'sso-last-sign-in-method': {
    status: 409,
    title: 'Last way to sign in',
    description:
      'The account has no password and no other linked identity: removing this one would lock you out. Set a password (reset it by email) or link another provider first.',
  },
} as const satisfies Record<string, { status: number; title: string; description: string }>;

export type ProblemCode = keyof typeof problemCodes;

export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  errors: z.array(z.object({ pointer: z.string(), message: z.string() })).optional(),
});
export type Problem = z.infer<typeof problemSchema>;
