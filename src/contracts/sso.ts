import { z } from 'zod';
import { mfaRequiredResponseSchema, passwordInputSchema, signedInResponseSchema } from './identity.ts';
import { recoveryCodeSchema, totpCodeSchema } from './mfa.ts';

/** A configured provider's slug (`google`, or an installation's own id). */
export const ssoProviderIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'Not a provider id.');

/** A configured single sign-on provider, as the sign-in page shows it. */
export const ssoProviderSchema = z.object({
  id: ssoProviderIdSchema,
  name: z.string().describe('Shown as "Continue with <name>"'),
  kind: z.enum(['google', 'oidc']),
});
export type SsoProvider = z.infer<typeof ssoProviderSchema>;

export const ssoProvidersResponseSchema = z.object({ items: z.array(ssoProviderSchema) });
export type SsoProvidersResponse = z.infer<typeof ssoProvidersResponseSchema>;

/** Where to send the browser next: the provider's authorization endpoint (with state, nonce, PKCE). */
export const ssoStartResponseSchema = z.object({ authorizationUrl: z.url() });
export type SsoStartResponse = z.infer<typeof ssoStartResponseSchema>;

/** The query string the provider redirected the browser back with (`?code=…&state=…`). */
export const ssoCallbackRequestSchema = z.object({ search: z.string().max(8192) });

export const ssoLinkTokenSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'Not a link token.');

/**
 * What a provider's answer led to: a session, the MFA step (as after a password), the proof an
 * existing account must give before the identity is linked to it, or (from the security page) a
 * new link on the signed-in account.
 */
export const ssoCallbackResponseSchema = z.discriminatedUnion('outcome', [
  signedInResponseSchema.extend({ outcome: z.literal('signed-in') }),
  mfaRequiredResponseSchema.extend({
    outcome: z.literal('mfa-required'),
    email: z.string().describe('The account being signed in to (shown on the code prompt)'),
  }),
  z.object({
    outcome: z.literal('link-required'),
    linkToken: ssoLinkTokenSchema,
    expiresAt: z.iso.datetime(),
    email: z.string().describe('The existing account the identity would be linked to'),
    provider: ssoProviderSchema,
    hasPassword: z.boolean().describe('false: the account signs in only through other providers'),
    secondFactorRequired: z.boolean().describe('The proof also needs an authenticator (or recovery) code'),
  }),
  z.object({ outcome: z.literal('linked'), provider: ssoProviderSchema }),
]);
export type SsoCallbackResponse = z.infer<typeof ssoCallbackResponseSchema>;

/** Proof of control of the existing account: its password, and a code when MFA is on. */
export const ssoLinkCompleteRequestSchema = z.object({
  linkToken: ssoLinkTokenSchema,
  password: passwordInputSchema,
  code: totpCodeSchema.optional(),
  recoveryCode: recoveryCodeSchema.optional(),
});
export type SsoLinkCompleteRequest = z.infer<typeof ssoLinkCompleteRequestSchema>;

export const linkedIdentitySchema = z.object({
  id: z.uuid(),
  provider: ssoProviderSchema,
  email: z.string(),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable(),
});
export type LinkedIdentity = z.infer<typeof linkedIdentitySchema>;

export const linkedIdentitiesResponseSchema = z.object({
  items: z.array(linkedIdentitySchema),
  /** Whether the account has a password (unlinking the last identity needs one). */
  hasPassword: z.boolean(),
});
export type LinkedIdentitiesResponse = z.infer<typeof linkedIdentitiesResponseSchema>;
