import type { Transaction } from '../../../platform/db/database.ts';
import type { Caller } from '../../../platform/authz/caller.ts';
import { AppError } from '../../../platform/errors/app-error.ts';
import type { SecondFactorProof } from '../mfa/verify-second-factor.ts';
import { completePendingLink } from './complete-pending-link.ts';
import { completeSsoLogin, type SsoAudit, type SsoRequestMeta, type SsoSignInOutcome } from './complete-sso-login.ts';
import { listLinkedIdentities } from './list-linked-identities.ts';
import type { SsoDependencies } from './sso-dependencies.ts';
import type { SsoProviders } from './sso-providers.ts';
import { type StartedSsoLogin, startSsoLogin } from './start-sso-login.ts';
import { unlinkIdentity } from './unlink-identity.ts';
import type { LinkedIdentitiesResponse } from '../../../../contracts/sso.ts';

export type SsoService = {
  providers: SsoProviders;
  start(options: {
    providerId: string;
    redirectUri: string;
    linkUserId: string | null;
    requestId: string;
  }): Promise<StartedSsoLogin>;
  /** From the security page: the password (when the account has one) first, then a link attempt. */
  startLink(options: {
    caller: Caller;
    password: string | null;
    providerId: string;
    redirectUri: string;
    meta: SsoRequestMeta;
  }): Promise<StartedSsoLogin>;
  complete(options: {
    providerId: string;
    search: string;
    browserBinding: string | null;
    meta: SsoRequestMeta;
    audit: SsoAudit;
  }): Promise<SsoSignInOutcome>;
  completePendingLink(options: {
    linkToken: string;
    password: string;
    proof: SecondFactorProof | null;
    meta: SsoRequestMeta;
    audit: SsoAudit;
  }): Promise<SsoSignInOutcome>;
  listLinked(options: { userId: string; requestId: string }): Promise<LinkedIdentitiesResponse>;
  unlink(transaction: Transaction, options: { userId: string; identityId: string }): Promise<{ provider: string }>;
};

/** The SSO sub-module: sign-in and linking with Google / OpenID Connect providers. */
export function createSso(deps: SsoDependencies): SsoService {
  return {
    providers: deps.providers,
    start: (options) => startSsoLogin(deps, options),
    async startLink(options) {
      const provider = deps.providers.find(options.providerId);
      const linked = await listLinkedIdentities(deps, {
        userId: options.caller.userId,
        requestId: options.meta.requestId,
      });
      if (linked.hasPassword) {
        if (!options.password)
          throw new AppError('validation-failed', 'Enter your password to link a provider.', {
            errors: [{ pointer: '/body/password', message: 'is required to link a provider' }],
          });
        await deps.provePassword({ userId: options.caller.userId, password: options.password, meta: options.meta });
      }
      return startSsoLogin(deps, {
        providerId: provider.id,
        redirectUri: options.redirectUri,
        linkUserId: options.caller.userId,
        requestId: options.meta.requestId,
      });
    },
    complete: (options) => completeSsoLogin(deps, options),
    completePendingLink: (options) => completePendingLink(deps, options),
    listLinked: (options) => listLinkedIdentities(deps, options),
    unlink: (transaction, options) => unlinkIdentity(transaction, options),
  };
}
