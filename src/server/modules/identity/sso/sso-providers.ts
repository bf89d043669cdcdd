import * as oidc from 'openid-client';
import type { Logger } from 'pino';
import type { SsoProvider } from '../../../../contracts/sso.ts';
import type { Config, SsoProviderConfig } from '../../../config.ts';
import type { Clock } from '../../../platform/clock.ts';
import { AppError } from '../../../platform/errors/app-error.ts';

/** Calls to a provider (discovery, JWKS, token endpoint) give up after this long. */
const PROVIDER_TIMEOUT_MS = 10_000;

export type SsoProviders = {
  /** The configured providers, as the sign-in page lists them. */
  list(): SsoProvider[];
  /** The provider with this id, or `sso-provider-unknown`. */
  find(id: string): SsoProviderConfig;
  describe(provider: SsoProviderConfig): SsoProvider;
  /**
   * An openid-client Configuration for the provider: discovery is fetched once (and again after
   * a failure), and each call gets a fresh Configuration whose clock follows the injected Clock,
   * so ID-token `exp`/`iat` checks use the same time as the rest of Vigil (and tests control it).
   */
  client(provider: SsoProviderConfig): Promise<oidc.Configuration>;
  /** Keeps the signing keys a Configuration fetched, for the provider's next sign-in. */
  rememberKeys(provider: SsoProviderConfig, configuration: oidc.Configuration): void;
};

/**
 * Fetch for provider calls: no redirects followed (a discovery or token endpoint that redirects is
 * misconfigured or hijacked, not something to chase), and a timeout.
 */
const providerFetch: oidc.CustomFetch = (url, options) =>
  fetch(url, {
    ...options,
    // openid-client only sends strings and URLSearchParams; its type also admits byte arrays.
    body: options.body as RequestInit['body'],
    redirect: 'manual',
    signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
  });

export function createSsoProviders(options: {
  config: Pick<Config, 'sso'>;
  clock: Clock;
  log?: Pick<Logger, 'warn'>;
}): SsoProviders {
  const { config, clock } = options;
  const discovered = new Map<string, Promise<oidc.Configuration>>();
  const jwksCaches = new Map<string, oidc.ExportedJWKSCache>();

  const describe = (provider: SsoProviderConfig): SsoProvider => ({
    id: provider.id,
    name: provider.name,
    kind: provider.kind,
  });

  function discover(provider: SsoProviderConfig): Promise<oidc.Configuration> {
    let pending = discovered.get(provider.id);
    if (!pending) {
      pending = oidc
        .discovery(new URL(provider.issuer), provider.clientId, provider.clientSecret, undefined, {
          [oidc.customFetch]: providerFetch,
          ...(config.sso.allowHttpIssuers ? { execute: [oidc.allowInsecureRequests] } : {}),
          timeout: PROVIDER_TIMEOUT_MS / 1000,
        })
        .catch((error: unknown) => {
          discovered.delete(provider.id);
          options.log?.warn({ err: error, provider: provider.id }, 'SSO provider discovery failed');
          throw new AppError('sso-provider-unavailable', `${provider.name} could not be reached; try again later.`);
        });
      discovered.set(provider.id, pending);
    }
    return pending;
  }

  return {
    list: () => config.sso.providers.map(describe),
    find(id) {
      const provider = config.sso.providers.find((candidate) => candidate.id === id);
      if (!provider) throw new AppError('sso-provider-unknown', `No sign-in provider "${id}" is configured.`);
      return provider;
    },
    describe,
    async client(provider) {
      const base = await discover(provider);
      // openid-client reads Date.now() (+ clockSkew seconds); Vigil's time is the injected Clock.
      const skewSeconds = Math.round((clock.now().getTime() - Date.now()) / 1000);
      const configuration = new oidc.Configuration(
        base.serverMetadata(),
        provider.clientId,
        { client_secret: provider.clientSecret, [oidc.clockSkew]: skewSeconds },
        oidc.ClientSecretBasic(provider.clientSecret),
      );
      configuration[oidc.customFetch] = providerFetch;
      configuration.timeout = PROVIDER_TIMEOUT_MS / 1000;
      if (config.sso.allowHttpIssuers) oidc.allowInsecureRequests(configuration);
      // openid-client trusts an ID token from the token endpoint on the strength of TLS alone (OIDC
      // Core 3.1.3.7 allows it); Vigil also checks its signature against the provider's JWKS, so a
      // token endpoint answer that was tampered with or misrouted is refused too.
      oidc.enableNonRepudiationChecks(configuration);
      // Share the provider's signing keys across Configurations instead of fetching them per sign-in.
      const cached = jwksCaches.get(provider.id);
      if (cached) oidc.setJwksCache(configuration, cached);
      return configuration;
    },
    rememberKeys(provider, configuration) {
      const keys = oidc.getJwksCache(configuration);
      if (keys) jwksCaches.set(provider.id, keys);
    },
  };
}
