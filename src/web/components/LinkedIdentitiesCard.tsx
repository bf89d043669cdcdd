import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import type { LinkedIdentity, SsoProvider } from '../../contracts/sso.ts';
import { ApiError } from '../lib/api.ts';
import { formatDateTime, formatRelative } from '../lib/format.ts';
import { linkedIdentitiesQuery, ssoProvidersQuery, startSsoLink, unlinkIdentity } from '../lib/sso.ts';
import { ConfirmDialog } from './ConfirmDialog.tsx';
import { Dialog } from './Dialog.tsx';
import { Alert, Field, FormError, PasswordInput, SubmitButton } from './forms.tsx';
import { LinkIcon, LockIcon } from './icons.tsx';
import { ProviderLogo } from './SsoButtons.tsx';
import { isStepUpCancelled, useStepUp } from './StepUp.tsx';
import { Badge, Skeleton } from './ui.tsx';
import { SettingsCard } from '../pages/SecurityPage.tsx';

/**
 * Security page: the providers linked to the account (unlink, never the last way in) and the
 * configured ones that are not, with "Link". Linking asks for the password first when the account
 * has one: a new way into the account is as sensitive as a new password.
 */
export function LinkedIdentitiesCard({ notice }: { notice: string | undefined }) {
  const linked = useQuery(linkedIdentitiesQuery);
  const providers = useQuery(ssoProvidersQuery);
  const [unlinking, setUnlinking] = useState<LinkedIdentity | null>(null);
  const [linking, setLinking] = useState<SsoProvider | null>(null);
  const withStepUp = useStepUp();
  const queryClient = useQueryClient();
  const link = useMutation({
    mutationFn: (provider: SsoProvider) => withStepUp(() => startSsoLink(provider.id, null)),
  });
  const unlink = useMutation({
    mutationFn: (identity: LinkedIdentity) => withStepUp(() => unlinkIdentity(identity.id)),
    onSuccess: (list) => {
      queryClient.setQueryData(linkedIdentitiesQuery.queryKey, list);
      setUnlinking(null);
    },
    onError: (error) => {
      if (isStepUpCancelled(error)) setUnlinking(null);
    },
  });

  const items = linked.data?.items ?? [];
  const configured = providers.data?.items ?? [];
  const linkedIds = new Set(items.map((item) => item.provider.id));
  const unlinkedProviders = configured.filter((provider) => !linkedIds.has(provider.id));
  // Nothing to show on an installation without SSO, for an account without links.
  if (linked.isSuccess && providers.isSuccess && items.length === 0 && configured.length === 0) return null;
  const onlyWayIn = linked.data ? !linked.data.hasPassword && items.length <= 1 : false;

  return (
    <SettingsCard
      icon={<LinkIcon size={18} />}
      title="Sign-in providers"
      description="Accounts at other services you can use to sign in to Vigil."
      testId="linked-identities-card"
    >
      {notice ? (
        <Alert tone="success" testId="linked-notice">
          {notice}
        </Alert>
      ) : null}
      {linked.isPending || providers.isPending ? (
        <div className="skeleton-stack" aria-busy="true">
          <Skeleton width="lg" />
          <Skeleton width="md" />
        </div>
      ) : linked.error ? (
        <FormError error={linked.error} />
      ) : (
        <div className="setting-rows">
          {items.map((identity) => (
            <div className="setting-row" key={identity.id} data-testid={`linked-${identity.provider.id}`}>
              <div className="sso-identity-row">
                <span className="sso-identity-logo">
                  <ProviderLogo provider={identity.provider} />
                </span>
                <div className="setting-row-text">
                  <div className="setting-row-title">
                    {identity.provider.name}
                    <Badge tone="success" dot>
                      Linked
                    </Badge>
                  </div>
                  <div className="setting-row-description">
                    {identity.email} · linked {formatDateTime(identity.createdAt)}
                    {identity.lastUsedAt ? ` · last used ${formatRelative(identity.lastUsedAt)}` : ''}
                  </div>
                </div>
              </div>
              <div className="setting-row-action">
                <button
                  type="button"
                  className="button button-secondary button-sm"
                  onClick={() => setUnlinking(identity)}
                  disabled={onlyWayIn}
                  title={onlyWayIn ? 'Your only way to sign in: set a password or link another provider first' : ''}
                  data-testid={`unlink-${identity.provider.id}`}
                >
                  Unlink
                </button>
              </div>
            </div>
          ))}
          {unlinkedProviders.map((provider) => (
            <div className="setting-row" key={provider.id} data-testid={`unlinked-${provider.id}`}>
              <div className="sso-identity-row">
                <span className="sso-identity-logo">
                  <ProviderLogo provider={provider} />
                </span>
                <div className="setting-row-text">
                  <div className="setting-row-title">{provider.name}</div>
                  <div className="setting-row-description">Not linked</div>
                </div>
              </div>
              <div className="setting-row-action">
                <button
                  type="button"
                  className="button button-secondary button-sm"
                  onClick={() => (linked.data?.hasPassword ? setLinking(provider) : link.mutate(provider))}
                  disabled={link.isPending}
                  data-testid={`link-${provider.id}`}
                >
                  Link
                </button>
              </div>
            </div>
          ))}
        </div>
      )}
      {link.error && !isStepUpCancelled(link.error) ? <FormError error={link.error} /> : null}
      {unlinking ? (
        <ConfirmDialog
          title={`Unlink ${unlinking.provider.name}?`}
          description={`You won’t be able to sign in with ${unlinking.provider.name} (${unlinking.email}) any more. You can link it again later.`}
          testId="unlink-dialog"
          confirmLabel="Unlink"
          pendingLabel="Unlinking…"
          confirmTestId="confirm-unlink"
          pending={unlink.isPending}
          error={unlink.error}
          onConfirm={() => unlink.mutate(unlinking)}
          onClose={() => setUnlinking(null)}
        />
      ) : null}
      {linking ? <LinkPasswordDialog provider={linking} onClose={() => setLinking(null)} /> : null}
    </SettingsCard>
  );
}

function LinkPasswordDialog({ provider, onClose }: { provider: SsoProvider; onClose: () => void }) {
  const id = useId();
  const withStepUp = useStepUp();
  const [password, setPassword] = useState('');
  const [localError, setLocalError] = useState<string | null>(null);
  const mutation = useMutation({ mutationFn: () => withStepUp(() => startSsoLink(provider.id, password)) });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (password.length === 0) return setLocalError('Enter your password.');
    setLocalError(null);
    mutation.mutate();
  };
  const wrong = mutation.error instanceof ApiError && mutation.error.is('invalid-credentials');
  return (
    <Dialog
      icon={<LockIcon size={18} />}
      title={`Link ${provider.name}`}
      description={`Confirm your password, then sign in to ${provider.name}. You’ll come back here when it’s done.`}
      onClose={onClose}
      testId="link-dialog"
    >
      <form className="form" onSubmit={submit} noValidate>
        <Field label="Password" htmlFor={id} error={localError ?? (wrong ? 'That’s not your password.' : null)}>
          <PasswordInput
            id={id}
            autoComplete="current-password"
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            invalid={Boolean(localError) || wrong}
            autoFocus
            data-testid="link-password"
          />
        </Field>
        {mutation.error && !wrong && !isStepUpCancelled(mutation.error) ? <FormError error={mutation.error} /> : null}
        <div className="dialog-actions">
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
          <SubmitButton pending={mutation.isPending || mutation.isSuccess} pendingLabel="Opening…" testId="link-submit">
            Continue to {provider.name}
          </SubmitButton>
        </div>
      </form>
    </Dialog>
  );
}
