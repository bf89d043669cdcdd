import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useId, useState } from 'react';
import { Link, useLocation } from 'react-router';
import type { MeResponse } from '../../contracts/identity.ts';
import type { MfaStatus, TotpEnrolment } from '../../contracts/mfa.ts';
import { ConfirmDialog } from '../components/ConfirmDialog.tsx';
import { LinkedIdentitiesCard } from '../components/LinkedIdentitiesCard.tsx';
import { Alert, Field, FormError, fieldErrorsOf, PasswordInput, SubmitButton } from '../components/forms.tsx';
import {
  ArrowRightIcon,
  KeyIcon,
  LockIcon,
  RefreshIcon,
  ShieldCheckIcon,
  ShieldIcon,
  SmartphoneIcon,
} from '../components/icons.tsx';
import { RecoveryCodesPanel, TotpEnrolmentPanel } from '../components/Mfa.tsx';
import { NewPasswordField, usePasswordCheck } from '../components/NewPassword.tsx';
import { PageSkeleton } from '../components/RequireAuth.tsx';
import { isStepUpCancelled, useStepUp } from '../components/StepUp.tsx';
import { Avatar } from '../components/UserMenu.tsx';
import { Badge, ErrorState, PageHeader, Skeleton } from '../components/ui.tsx';
import {
  changePassword,
  confirmTotpEnrolment,
  disableTotp,
  regenerateRecoveryCodes,
  startTotpEnrolment,
} from '../lib/account.ts';
import { formatDateTime, formatRelative } from '../lib/format.ts';
import { passwordProblem } from '../lib/password.ts';
import { ACCOUNT_KEY, meQuery, mfaStatusQuery, sessionsQuery } from '../lib/queries.ts';
import { linkedIdentitiesQuery } from '../lib/sso.ts';

export function SettingsCard({
  icon,
  title,
  description,
  aside,
  children,
  testId,
}: {
  icon: ReactNode;
  title: ReactNode;
  description?: ReactNode;
  aside?: ReactNode;
  children: ReactNode;
  testId?: string;
}) {
  return (
    <section className="card settings-card" data-testid={testId}>
      <header className="settings-card-head">
        <span className="settings-card-icon">{icon}</span>
        <div className="settings-card-heading">
          <h2 className="settings-card-title">{title}</h2>
          {description ? <p className="settings-card-description">{description}</p> : null}
        </div>
        {aside ? <div className="settings-card-aside">{aside}</div> : null}
      </header>
      <div className="settings-card-body">{children}</div>
    </section>
  );
}

function AccountSummary({ me }: { me: MeResponse }) {
  return (
    <div className="account-summary" data-testid="account-summary">
      <Avatar user={me} size="lg" />
      <div className="account-summary-text">
        <div className="account-summary-name">{me.displayName ?? me.email}</div>
        <div className="account-summary-email">{me.email}</div>
      </div>
      <div className="account-summary-badges">
        {me.emailVerified ? (
          <Badge tone="success" dot>
            Email verified
          </Badge>
        ) : (
          <Badge tone="warning" dot>
            Email not verified
          </Badge>
        )}
        {me.platformAdmin ? <Badge tone="accent">Platform administrator</Badge> : null}
      </div>
    </div>
  );
}

function ChangePasswordCard({ me }: { me: MeResponse }) {
  const queryClient = useQueryClient();
  const withStepUp = useStepUp();
  const currentId = useId();
  const newId = useId();
  const confirmId = useId();
  const [current, setCurrent] = useState('');
  const [password, setPassword] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [localErrors, setLocalErrors] = useState<{ current?: string; password?: string; confirmation?: string }>({});
  const check = usePasswordCheck(password, [me.email, me.displayName ?? '']);
  const mutation = useMutation({
    mutationFn: () => withStepUp(() => changePassword({ currentPassword: current, newPassword: password })),
    onSuccess: async () => {
      setCurrent('');
      setPassword('');
      setConfirmation('');
      await queryClient.invalidateQueries({ queryKey: sessionsQuery.queryKey });
    },
  });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const errors: typeof localErrors = {};
    if (current.length === 0) errors.current = 'Enter your current password.';
    const problem = passwordProblem(check);
    if (problem) errors.password = problem;
    else if (password === current) errors.password = 'Choose a password different from your current one.';
    else if (confirmation !== password) errors.confirmation = 'The two passwords don’t match.';
    setLocalErrors(errors);
    if (Object.keys(errors).length === 0) mutation.mutate();
  };

  const error = isStepUpCancelled(mutation.error) ? null : mutation.error;
  const serverFields = fieldErrorsOf(error, ['currentPassword', 'newPassword']);
  return (
    <SettingsCard
      icon={<LockIcon size={18} />}
      title="Password"
      description="Changing it signs out every other device where you’re signed in."
      testId="password-card"
    >
      <form className="form form-narrow" onSubmit={submit} noValidate data-testid="change-password-form">
        {/* Lets password managers file the new password under the right account. */}
        <input
          type="email"
          name="username"
          autoComplete="username"
          value={me.email}
          readOnly
          tabIndex={-1}
          aria-hidden="true"
          className="visually-hidden"
        />
        {mutation.isSuccess ? (
          <Alert tone="success" title="Password changed" testId="password-changed">
            {mutation.data}
          </Alert>
        ) : null}
        <Field
          label="Current password"
          htmlFor={currentId}
          error={localErrors.current ?? (serverFields.currentPassword ? 'That’s not your current password.' : null)}
        >
          <PasswordInput
            id={currentId}
            autoComplete="current-password"
            value={current}
            onChange={(event) => setCurrent(event.target.value)}
            invalid={Boolean(localErrors.current ?? serverFields.currentPassword)}
            data-testid="current-password"
          />
        </Field>
        <NewPasswordField
          id={newId}
          label="New password"
          value={password}
          onChange={setPassword}
          check={check}
          error={localErrors.password ?? serverFields.newPassword}
          testId="change-new-password"
        />
        <Field label="Confirm new password" htmlFor={confirmId} error={localErrors.confirmation}>
          <PasswordInput
            id={confirmId}
            autoComplete="new-password"
            value={confirmation}
            onChange={(event) => setConfirmation(event.target.value)}
            invalid={Boolean(localErrors.confirmation)}
            data-testid="confirm-new-password"
          />
        </Field>
        {error && Object.keys(serverFields).length === 0 ? <FormError error={error} /> : null}
        <div className="form-actions">
          <SubmitButton pending={mutation.isPending} pendingLabel="Updating…" testId="change-password-submit">
            Update password
          </SubmitButton>
        </div>
      </form>
    </SettingsCard>
  );
}

type MfaFlow =
  | { kind: 'idle' }
  | { kind: 'enrolling'; enrolment: TotpEnrolment }
  | { kind: 'codes'; codes: string[]; reason: 'enrolled' | 'regenerated' };

function MfaStatusBadge({ status }: { status: MfaStatus }) {
  if (status.totp === 'on')
    return (
      <Badge tone="success" dot testId="mfa-status">
        On
      </Badge>
    );
  if (status.totp === 'pending')
    return (
      <Badge tone="warning" dot testId="mfa-status">
        Setup not finished
      </Badge>
    );
  return (
    <Badge tone="neutral" testId="mfa-status">
      Off
    </Badge>
  );
}

function SettingRow({
  title,
  description,
  action,
  testId,
}: {
  title: ReactNode;
  description: ReactNode;
  action: ReactNode;
  testId?: string;
}) {
  return (
    <div className="setting-row" data-testid={testId}>
      <div className="setting-row-text">
        <div className="setting-row-title">{title}</div>
        <div className="setting-row-description">{description}</div>
      </div>
      <div className="setting-row-action">{action}</div>
    </div>
  );
}

function TwoStepCard({ me }: { me: MeResponse }) {
  const queryClient = useQueryClient();
  const withStepUp = useStepUp();
  const status = useQuery(mfaStatusQuery);
  const [flow, setFlow] = useState<MfaFlow>({ kind: 'idle' });
  const [confirming, setConfirming] = useState<'disable' | 'regenerate' | null>(null);

  const refreshAccount = () => queryClient.invalidateQueries({ queryKey: [ACCOUNT_KEY] });

  const start = useMutation({
    mutationFn: startTotpEnrolment,
    onSuccess: (enrolment) => setFlow({ kind: 'enrolling', enrolment }),
  });
  const regenerate = useMutation({
    mutationFn: () => withStepUp(regenerateRecoveryCodes),
    onSuccess: async (codes) => {
      setConfirming(null);
      setFlow({ kind: 'codes', codes, reason: 'regenerated' });
      await refreshAccount();
    },
    onError: (error) => {
      if (isStepUpCancelled(error)) setConfirming(null);
    },
  });
  const disable = useMutation({
    mutationFn: () => withStepUp(disableTotp),
    onSuccess: async (next) => {
      setConfirming(null);
      queryClient.setQueryData(mfaStatusQuery.queryKey, next);
      await refreshAccount();
    },
    onError: (error) => {
      if (isStepUpCancelled(error)) setConfirming(null);
    },
  });

  let body: ReactNode;
  if (flow.kind === 'enrolling') {
    body = (
      <TotpEnrolmentPanel
        enrolment={flow.enrolment}
        confirm={confirmTotpEnrolment}
        onConfirmed={(codes) => {
          setFlow({ kind: 'codes', codes, reason: 'enrolled' });
          void refreshAccount();
        }}
        onCancel={() => setFlow({ kind: 'idle' })}
      />
    );
  } else if (flow.kind === 'codes') {
    body = (
      <>
        {flow.reason === 'enrolled' ? (
          <Alert tone="success" title="Two-step verification is on" testId="mfa-enabled">
            From now on you’ll enter a code from your authenticator app when you sign in. Your other sessions were
            signed out.
          </Alert>
        ) : (
          <Alert tone="success" title="New recovery codes generated">
            Your previous recovery codes no longer work.
          </Alert>
        )}
        <RecoveryCodesPanel codes={flow.codes} accountName={me.email} onDone={() => setFlow({ kind: 'idle' })} />
      </>
    );
  } else if (status.isPending) {
    body = (
      <div className="skeleton-stack">
        <Skeleton width="lg" />
        <Skeleton width="md" />
      </div>
    );
  } else if (status.error) {
    body = (
      <ErrorState
        error={status.error}
        heading="Could not load your two-step verification settings"
        onRetry={() => void status.refetch()}
        retrying={status.isFetching}
      />
    );
  } else if (status.data.totp === 'on') {
    const remaining = status.data.recoveryCodesRemaining;
    body = (
      <div className="setting-rows">
        <SettingRow
          title={
            <>
              <SmartphoneIcon size={15} /> Authenticator app
            </>
          }
          description={
            status.data.confirmedAt ? (
              <>
                Set up{' '}
                <time dateTime={status.data.confirmedAt} title={formatDateTime(status.data.confirmedAt)}>
                  {formatRelative(status.data.confirmedAt)}
                </time>
                . You’ll be asked for a code each time you sign in.
              </>
            ) : (
              'You’ll be asked for a code each time you sign in.'
            )
          }
          action={<Badge tone="success">Active</Badge>}
          testId="mfa-app-row"
        />
        <SettingRow
          title={
            <>
              <KeyIcon size={15} /> Recovery codes
            </>
          }
          description={
            <span data-testid="recovery-remaining">
              {remaining} of 10 unused.{' '}
              {remaining <= 3 ? (
                <span className="text-warning">Running low — generate a new set.</span>
              ) : (
                'Each one signs you in once if you lose your phone.'
              )}
            </span>
          }
          action={
            <button
              type="button"
              className="button button-secondary button-sm"
              onClick={() => setConfirming('regenerate')}
              data-testid="regenerate-codes"
            >
              <RefreshIcon size={13} />
              Generate new codes
            </button>
          }
        />
        <SettingRow
          title="Turn off two-step verification"
          description={
            status.data.required
              ? 'Platform administrators must always use two-step verification.'
              : 'Your account will be protected by your password alone.'
          }
          action={
            <button
              type="button"
              className="button button-danger-outline button-sm"
              onClick={() => setConfirming('disable')}
              disabled={status.data.required}
              data-testid="disable-mfa"
            >
              Turn off
            </button>
          }
        />
      </div>
    );
  } else {
    const pending = status.data.totp === 'pending';
    body = (
      <div className="mfa-off">
        <div className="mfa-off-text">
          <p>
            {pending
              ? 'You started setting up an authenticator app but didn’t confirm it. Start again to get a fresh QR code.'
              : 'Add a second step to signing in: a six-digit code from an authenticator app on your phone. Someone who learns your password still can’t get in.'}
          </p>
          {status.data.required ? <Alert tone="warning">Your account requires two-step verification.</Alert> : null}
        </div>
        <button
          type="button"
          className="button button-primary"
          onClick={() => start.mutate()}
          disabled={start.isPending}
          data-testid="enable-mfa"
        >
          <ShieldCheckIcon size={15} />
          {start.isPending ? 'Preparing…' : pending ? 'Restart setup' : 'Set up authenticator app'}
        </button>
        {start.error ? <FormError error={start.error} /> : null}
      </div>
    );
  }

  return (
    <SettingsCard
      icon={<ShieldIcon size={18} />}
      title="Two-step verification"
      description="A code from your phone in addition to your password."
      aside={status.data && flow.kind === 'idle' ? <MfaStatusBadge status={status.data} /> : null}
      testId="mfa-card"
    >
      {body}
      {confirming === 'disable' ? (
        <ConfirmDialog
          title="Turn off two-step verification?"
          description="Your authenticator app and recovery codes will stop working, and your other sessions will be signed out. You can set it up again at any time."
          testId="mfa-confirm-dialog"
          confirmLabel="Turn off"
          pendingLabel="Turning off…"
          confirmTestId="confirm-disable-mfa"
          pending={disable.isPending}
          error={disable.error}
          onConfirm={() => disable.mutate()}
          onClose={() => setConfirming(null)}
        />
      ) : null}
      {confirming === 'regenerate' ? (
        <ConfirmDialog
          tone="default"
          icon={<KeyIcon size={18} />}
          title="Generate new recovery codes?"
          description="Your current recovery codes will stop working straight away. You’ll see the new ones once."
          testId="mfa-confirm-dialog"
          confirmLabel="Generate new codes"
          pendingLabel="Generating…"
          confirmTestId="confirm-regenerate"
          pending={regenerate.isPending}
          error={regenerate.error}
          onConfirm={() => regenerate.mutate()}
          onClose={() => setConfirming(null)}
        />
      ) : null}
    </SettingsCard>
  );
}

/** An account created through a provider has no password until it sets one by reset link. */
function NoPasswordCard() {
  return (
    <SettingsCard
      icon={<LockIcon size={18} />}
      title="Password"
      description="Your account signs in through a provider and has no password yet."
      testId="password-card"
    >
      <p className="settings-card-description">
        To add one, use{' '}
        <Link to="/forgot-password" className="link">
          Forgot password
        </Link>{' '}
        and follow the link we email you. You can then sign in either way.
      </p>
    </SettingsCard>
  );
}

/** Notices other pages pass in router state (the SSO callback after linking). */
function noticeFrom(state: unknown): string | undefined {
  if (typeof state === 'object' && state !== null && 'notice' in state && typeof state.notice === 'string') {
    return state.notice;
  }
  return undefined;
}

export function SecurityPage() {
  const location = useLocation();
  const { data: me } = useQuery(meQuery);
  const linked = useQuery(linkedIdentitiesQuery);
  if (!me) return <PageSkeleton />;
  return (
    <div className="page" data-testid="security-page">
      <PageHeader
        eyebrow="Account"
        title="Security"
        description="Your password, two-step verification, recovery codes and sign-in providers."
        actions={
          <Link to="/account/sessions" className="link-arrow">
            Where you’re signed in <ArrowRightIcon size={14} />
          </Link>
        }
      />
      <AccountSummary me={me} />
      <div className="settings-stack">
        <TwoStepCard me={me} />
        {linked.data?.hasPassword === false ? <NoPasswordCard /> : <ChangePasswordCard me={me} />}
        <LinkedIdentitiesCard notice={noticeFrom(location.state)} />
      </div>
    </div>
  );
}
