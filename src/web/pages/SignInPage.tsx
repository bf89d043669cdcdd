import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { Link, Navigate, useLocation, useNavigate, useSearchParams } from 'react-router';
import { emailSchema } from '../../contracts/identity.ts';
import { totpCodeSchema } from '../../contracts/mfa.ts';
import { AuthCard, safeNextPath } from '../components/AuthLayout.tsx';
import {
  Alert,
  CodeInput,
  Field,
  FormError,
  fieldErrorsOf,
  PasswordInput,
  SubmitButton,
  TextInput,
} from '../components/forms.tsx';
import { KeyIcon, LogInIcon, ShieldCheckIcon, SmartphoneIcon } from '../components/icons.tsx';
import { RecoveryCodesPanel, TotpEnrolmentPanel } from '../components/Mfa.tsx';
import { SsoButtons } from '../components/SsoButtons.tsx';
import { Skeleton } from '../components/ui.tsx';
import {
  confirmChallengeEnrolment,
  type SecondFactor,
  resendVerification,
  signIn,
  startChallengeEnrolment,
  verifySignInFactor,
} from '../lib/account.ts';
import { ApiError } from '../lib/api.ts';
import { meQuery, resetAccountQueries } from '../lib/queries.ts';

type Step =
  | { kind: 'password'; notice?: string }
  | { kind: 'code'; email: string; challengeToken: string }
  | { kind: 'enrol'; email: string; challengeToken: string }
  | { kind: 'recovery-codes'; email: string; codes: string[] }
  | { kind: 'recovery-used'; remaining: number };

/** Notices other pages pass in router state (`navigate('/sign-in', { state: { notice } })`). */
function noticeFrom(state: unknown): string | undefined {
  if (typeof state === 'object' && state !== null && 'notice' in state && typeof state.notice === 'string') {
    return state.notice;
  }
  return undefined;
}

/**
 * A provider sign-in that needs the second step (the SSO callback page navigates here with it), so
 * the code and enrolment steps are the same as after a password.
 */
export type SsoSecondStep = { email: string; challengeToken: string; enrolmentRequired: boolean };

function ssoSecondStepFrom(state: unknown): Step | null {
  if (typeof state !== 'object' || state === null || !('ssoSecondStep' in state)) return null;
  const step = state.ssoSecondStep as Partial<SsoSecondStep> | null;
  if (!step || typeof step.challengeToken !== 'string' || typeof step.email !== 'string') return null;
  return { kind: step.enrolmentRequired ? 'enrol' : 'code', email: step.email, challengeToken: step.challengeToken };
}

/** Sign-out navigates here a moment before the session is forgotten. */
function signingOut(state: unknown): boolean {
  return typeof state === 'object' && state !== null && 'signedOut' in state && state.signedOut === true;
}

export function SignInPage() {
  const location = useLocation();
  const [searchParams] = useSearchParams();
  const next = safeNextPath(searchParams.get('next'));
  const navigate = useNavigate();
  const { data: me } = useQuery(meQuery);
  const [step, setStep] = useState<Step>(() => ssoSecondStepFrom(location.state) ?? { kind: 'password' });
  const [email, setEmail] = useState('');

  const finish = async () => {
    await resetAccountQueries();
    await navigate(next, { replace: true });
  };

  // Already signed in (and not in the middle of a second step, nor signing out): nothing to do here.
  if (step.kind === 'password' && me && !signingOut(location.state)) return <Navigate to={next} replace />;

  switch (step.kind) {
    case 'password':
      return (
        <PasswordStep
          email={email}
          onEmailChange={setEmail}
          notice={step.notice ?? noticeFrom(location.state)}
          next={next}
          onSignedIn={finish}
          onSecondFactor={(challengeToken, enrolmentRequired) =>
            setStep({ kind: enrolmentRequired ? 'enrol' : 'code', email, challengeToken })
          }
        />
      );
    case 'code':
      return (
        <CodeStep
          email={step.email}
          challengeToken={step.challengeToken}
          onVerified={(remaining) => {
            if (remaining === null) void finish();
            else setStep({ kind: 'recovery-used', remaining });
          }}
          onRestart={(notice) => setStep({ kind: 'password', notice })}
        />
      );
    case 'enrol':
      return (
        <EnrolStep
          email={step.email}
          challengeToken={step.challengeToken}
          onEnrolled={(codes) => setStep({ kind: 'recovery-codes', email: step.email, codes })}
          onRestart={(notice) => setStep({ kind: 'password', notice })}
        />
      );
    case 'recovery-codes':
      return (
        <AuthCard
          wide
          tone="success"
          icon={<ShieldCheckIcon size={20} />}
          title="Two-step verification is on"
          subtitle="Your authenticator app is set up. One last thing: keep these recovery codes for the day you lose your phone."
          testId="sign-in-recovery-codes"
        >
          <RecoveryCodesPanel
            codes={step.codes}
            accountName={step.email}
            onDone={() => void finish()}
            doneLabel="Continue to Vigil"
          />
        </AuthCard>
      );
    case 'recovery-used':
      return (
        <AuthCard
          icon={<KeyIcon size={20} />}
          title="Signed in with a recovery code"
          subtitle="That code has now been used and won’t work again."
          testId="sign-in-recovery-used"
        >
          <Alert
            tone={step.remaining <= 3 ? 'warning' : 'info'}
            title={`${step.remaining} recovery code${step.remaining === 1 ? '' : 's'} left`}
          >
            {step.remaining <= 3
              ? 'You’re running low. Generate a fresh set from your security settings, and check your authenticator app still works.'
              : 'If you no longer have your authenticator app, set it up again from your security settings.'}
          </Alert>
          <div className="auth-actions">
            <button
              type="button"
              className="button button-primary button-block"
              onClick={() => {
                void resetAccountQueries().then(() => navigate('/account/security', { replace: true }));
              }}
            >
              Review security settings
            </button>
            <button type="button" className="button button-secondary button-block" onClick={() => void finish()}>
              Continue
            </button>
          </div>
        </AuthCard>
      );
  }
}

function PasswordStep({
  email,
  onEmailChange,
  notice,
  next,
  onSignedIn,
  onSecondFactor,
}: {
  email: string;
  onEmailChange: (email: string) => void;
  notice: string | undefined;
  next: string;
  onSignedIn: () => Promise<void>;
  onSecondFactor: (challengeToken: string, enrolmentRequired: boolean) => void;
}) {
  const emailId = useId();
  const passwordId = useId();
  const [password, setPassword] = useState('');
  const [localErrors, setLocalErrors] = useState<{ email?: string; password?: string }>({});
  const mutation = useMutation({
    mutationFn: () => signIn(email.trim(), password),
    onSuccess: async (outcome) => {
      if (outcome.kind === 'signed-in') await onSignedIn();
      else onSecondFactor(outcome.challengeToken, outcome.enrolmentRequired);
    },
  });
  const resend = useMutation({ mutationFn: () => resendVerification(email.trim()) });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const errors: typeof localErrors = {};
    if (!emailSchema.safeParse(email).success) errors.email = 'Enter the email address you signed up with.';
    if (password.length === 0) errors.password = 'Enter your password.';
    setLocalErrors(errors);
    if (Object.keys(errors).length > 0) return;
    resend.reset();
    mutation.mutate();
  };

  const serverFields = fieldErrorsOf(mutation.error, ['email', 'password']);
  const notVerified = mutation.error instanceof ApiError && mutation.error.is('email-not-verified');
  const signUpHref = next === '/' ? '/sign-up' : `/sign-up?next=${encodeURIComponent(next)}`;
  return (
    <AuthCard
      title="Sign in to Vigil"
      subtitle="Welcome back. Enter your details to continue."
      testId="sign-in-page"
      footer={
        <>
          New to Vigil?{' '}
          <Link to={signUpHref} className="link" data-testid="to-sign-up">
            Create an account
          </Link>
        </>
      }
    >
      <SsoButtons next={next} dividerLabel="or sign in with email" />
      <form className="form" onSubmit={submit} noValidate data-testid="sign-in-form">
        {notice ? (
          <Alert tone="success" testId="sign-in-notice">
            {notice}
          </Alert>
        ) : null}
        <Field label="Email" htmlFor={emailId} error={localErrors.email ?? serverFields.email}>
          <TextInput
            id={emailId}
            type="email"
            name="email"
            autoComplete="username"
            value={email}
            onChange={(event) => onEmailChange(event.target.value)}
            invalid={Boolean(localErrors.email ?? serverFields.email)}
            autoFocus
            required
            data-testid="sign-in-email"
          />
        </Field>
        <Field
          label="Password"
          htmlFor={passwordId}
          error={localErrors.password ?? serverFields.password}
          aside={
            <Link to="/forgot-password" className="link small" data-testid="to-forgot-password">
              Forgot password?
            </Link>
          }
        >
          <PasswordInput
            id={passwordId}
            name="password"
            autoComplete="current-password"
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            invalid={Boolean(localErrors.password ?? serverFields.password)}
            required
            data-testid="sign-in-password"
          />
        </Field>
        {notVerified ? (
          <Alert
            tone="warning"
            title="Verify your email first"
            testId="sign-in-unverified"
            actions={
              resend.isSuccess ? (
                <span className="small">{resend.data}</span>
              ) : (
                <button
                  type="button"
                  className="button button-secondary button-sm"
                  onClick={() => resend.mutate()}
                  disabled={resend.isPending}
                >
                  {resend.isPending ? 'Sending…' : 'Send a new link'}
                </button>
              )
            }
          >
            Your password is right, but this email address hasn’t been confirmed yet. Follow the link we emailed you.
          </Alert>
        ) : mutation.error && Object.keys(serverFields).length === 0 ? (
          <FormError error={mutation.error} />
        ) : null}
        {resend.error ? <FormError error={resend.error} testId="resend-error" /> : null}
        <SubmitButton
          pending={mutation.isPending}
          pendingLabel="Signing in…"
          className="button-primary button-block button-lg"
          testId="sign-in-submit"
        >
          <LogInIcon size={15} />
          Sign in
        </SubmitButton>
      </form>
    </AuthCard>
  );
}

function CodeStep({
  email,
  challengeToken,
  onVerified,
  onRestart,
}: {
  email: string;
  challengeToken: string;
  onVerified: (recoveryCodesRemaining: number | null) => void;
  onRestart: (notice?: string) => void;
}) {
  const id = useId();
  const [useRecovery, setUseRecovery] = useState(false);
  const [code, setCode] = useState('');
  const [localError, setLocalError] = useState<string | null>(null);
  const mutation = useMutation({
    mutationFn: (factor: SecondFactor) => verifySignInFactor(challengeToken, factor),
    onSuccess: onVerified,
  });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setLocalError(null);
    if (useRecovery) {
      if (code.trim().length === 0) return setLocalError('Enter one of your recovery codes.');
      return mutation.mutate({ recoveryCode: code.trim() });
    }
    const parsed = totpCodeSchema.safeParse(code);
    if (!parsed.success) return setLocalError('Enter the six digits your authenticator app shows.');
    mutation.mutate({ code: parsed.data });
  };

  const error = mutation.error instanceof ApiError ? mutation.error : null;
  const codeRejected = error?.is('invalid-mfa-code') ?? false;
  const expired = error?.is('mfa-challenge-invalid') ?? false;
  return (
    <AuthCard
      icon={<SmartphoneIcon size={20} />}
      title="Two-step verification"
      subtitle={
        useRecovery ? (
          <>
            Enter one of the recovery codes you saved when you set up two-step verification for <strong>{email}</strong>
            .
          </>
        ) : (
          <>
            Enter the 6-digit code from your authenticator app for <strong>{email}</strong>.
          </>
        )
      }
      testId="sign-in-code-step"
      footer={
        <button type="button" className="button-link" onClick={() => onRestart()}>
          Sign in as someone else
        </button>
      }
    >
      <form className="form" onSubmit={submit} noValidate>
        <Field
          label={useRecovery ? 'Recovery code' : 'Authentication code'}
          htmlFor={id}
          error={localError ?? (codeRejected ? 'That code didn’t work. Check it and try again.' : null)}
        >
          <CodeInput
            id={id}
            recovery={useRecovery}
            value={code}
            onChange={(event) => setCode(event.target.value)}
            invalid={Boolean(localError) || codeRejected}
            autoFocus
            data-testid="sign-in-code"
          />
        </Field>
        {expired ? (
          <Alert
            tone="warning"
            title="This sign-in step expired"
            actions={
              <button type="button" className="button button-secondary button-sm" onClick={() => onRestart()}>
                Enter your password again
              </button>
            }
          >
            For your security, the second step has to be completed within 5 minutes of entering your password.
          </Alert>
        ) : mutation.error && !codeRejected ? (
          <FormError error={mutation.error} />
        ) : null}
        <SubmitButton
          pending={mutation.isPending}
          pendingLabel="Verifying…"
          className="button-primary button-block button-lg"
          disabled={expired}
          testId="sign-in-code-submit"
        >
          Verify
        </SubmitButton>
        <button
          type="button"
          className="button-link auth-switch"
          onClick={() => {
            setUseRecovery((value) => !value);
            setCode('');
            setLocalError(null);
            mutation.reset();
          }}
          data-testid="toggle-recovery"
        >
          {useRecovery ? 'Use your authenticator app instead' : 'Lost your phone? Use a recovery code'}
        </button>
      </form>
    </AuthCard>
  );
}

function EnrolStep({
  email,
  challengeToken,
  onEnrolled,
  onRestart,
}: {
  email: string;
  challengeToken: string;
  onEnrolled: (codes: string[]) => void;
  onRestart: (notice?: string) => void;
}) {
  // A query, not an effect: started once per challenge even when React renders twice.
  const enrolment = useQuery({
    queryKey: ['challenge-enrolment', challengeToken],
    queryFn: () => startChallengeEnrolment(challengeToken),
    staleTime: Number.POSITIVE_INFINITY,
    gcTime: 0,
    retry: false,
    refetchOnWindowFocus: false,
  });
  return (
    <AuthCard
      wide
      icon={<ShieldCheckIcon size={20} />}
      title="Set up two-step verification"
      subtitle={
        <>
          <strong>{email}</strong> must use two-step verification (platform administrators always do). Set up an
          authenticator app to finish signing in.
        </>
      }
      testId="sign-in-enrol-step"
      footer={
        <button type="button" className="button-link" onClick={() => onRestart()}>
          Cancel and sign in as someone else
        </button>
      }
    >
      {enrolment.isPending ? (
        <div className="skeleton-stack" aria-busy="true">
          <Skeleton width="lg" />
          <Skeleton width="md" tall />
          <Skeleton width="full" />
        </div>
      ) : enrolment.error ? (
        <FormError
          error={enrolment.error}
          actions={
            <button type="button" className="button button-secondary button-sm" onClick={() => onRestart()}>
              Start again
            </button>
          }
        />
      ) : (
        <TotpEnrolmentPanel
          enrolment={enrolment.data}
          confirm={(code) => confirmChallengeEnrolment(challengeToken, code)}
          onConfirmed={onEnrolled}
        />
      )}
    </AuthCard>
  );
}
