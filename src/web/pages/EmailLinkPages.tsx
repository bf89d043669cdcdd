import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { emailSchema } from '../../contracts/identity.ts';
import { AuthCard } from '../components/AuthLayout.tsx';
import { Alert, Field, FormError, fieldErrorsOf, SubmitButton, TextInput } from '../components/forms.tsx';
import { CheckCircleIcon, KeyIcon, MailIcon, XCircleIcon } from '../components/icons.tsx';
import { NewPasswordField, usePasswordCheck } from '../components/NewPassword.tsx';
import { completePasswordReset, requestPasswordReset, resendVerification, verifyEmail } from '../lib/account.ts';
import { ApiError } from '../lib/api.ts';
import { passwordProblem } from '../lib/password.ts';
import { markSignedOut, meQuery } from '../lib/queries.ts';
import { CheckInbox } from './SignUpPage.tsx';

/**
 * Email links carry their token in the URL fragment (`#token=…`), which browsers never send to a
 * server or put in a Referer. The page reads it once and removes it from the address bar and
 * history, so it is not left lying around after use.
 */
function useFragmentToken(): string | null {
  const location = useLocation();
  const navigate = useNavigate();
  const [token] = useState(() => new URLSearchParams(location.hash.slice(1)).get('token'));
  useEffect(() => {
    if (location.hash) void navigate({ pathname: location.pathname, search: location.search }, { replace: true });
  }, [location.hash, location.pathname, location.search, navigate]);
  return token && token.length <= 200 ? token : null;
}

function ResendVerificationForm() {
  const id = useId();
  const [email, setEmail] = useState('');
  const [localError, setLocalError] = useState<string | null>(null);
  const mutation = useMutation({ mutationFn: () => resendVerification(email.trim()) });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!emailSchema.safeParse(email).success) return setLocalError('Enter the email address you signed up with.');
    setLocalError(null);
    mutation.mutate();
  };
  if (mutation.isSuccess) return <Alert tone="success">{mutation.data}</Alert>;
  return (
    <form className="form" onSubmit={submit} noValidate>
      <Field label="Email" htmlFor={id} error={localError}>
        <TextInput
          id={id}
          type="email"
          autoComplete="email"
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          invalid={Boolean(localError)}
        />
      </Field>
      {mutation.error ? <FormError error={mutation.error} /> : null}
      <SubmitButton pending={mutation.isPending} pendingLabel="Sending…" className="button-primary button-block">
        Send a new link
      </SubmitButton>
    </form>
  );
}

export function VerifyEmailPage() {
  const token = useFragmentToken();
  const { data: me } = useQuery(meQuery);
  // A query rather than an effect, so the single-use token is sent exactly once.
  const verification = useQuery({
    queryKey: ['verify-email', token],
    queryFn: () => verifyEmail(token ?? ''),
    enabled: token !== null,
    retry: false,
    staleTime: Number.POSITIVE_INFINITY,
    gcTime: Number.POSITIVE_INFINITY,
    refetchOnWindowFocus: false,
  });

  if (token === null || verification.error) {
    const expired =
      token === null || (verification.error instanceof ApiError && verification.error.is('invalid-email-token'));
    return (
      <AuthCard
        tone="danger"
        icon={<XCircleIcon size={20} />}
        title={expired ? 'This link is invalid or has expired' : 'We couldn’t verify your email'}
        subtitle={
          token === null
            ? 'The verification link is incomplete. Open it straight from the email, or ask for a new one below.'
            : expired
              ? 'Verification links work once and expire after 24 hours. Ask for a new one below.'
              : undefined
        }
        testId="verify-email-failed"
        footer={
          <Link to="/sign-in" className="link">
            Back to sign in
          </Link>
        }
      >
        {!expired ? <FormError error={verification.error} /> : null}
        <ResendVerificationForm />
      </AuthCard>
    );
  }

  if (verification.isPending) {
    return (
      <AuthCard
        icon={<MailIcon size={20} />}
        title="Verifying your email…"
        subtitle="This only takes a moment."
        testId="verify-email-pending"
      >
        <div className="auth-progress" aria-busy="true">
          <span className="button-spinner" />
        </div>
      </AuthCard>
    );
  }

  return (
    <AuthCard
      tone="success"
      icon={<CheckCircleIcon size={20} />}
      title="Your email is verified"
      subtitle="Thanks for confirming your address. Your account is ready."
      testId="verify-email-done"
    >
      <div className="auth-actions">
        {me ? (
          <Link to="/" className="button button-primary button-block button-lg">
            Continue to Vigil
          </Link>
        ) : (
          <Link to="/sign-in" className="button button-primary button-block button-lg" data-testid="verified-sign-in">
            Sign in
          </Link>
        )}
      </div>
    </AuthCard>
  );
}

export function ForgotPasswordPage() {
  const id = useId();
  const [email, setEmail] = useState('');
  const [localError, setLocalError] = useState<string | null>(null);
  const mutation = useMutation({ mutationFn: () => requestPasswordReset(email.trim()) });

  if (mutation.isSuccess) {
    // The server's answer is the same whether or not the address has an account: show it as it is.
    return (
      <CheckInbox
        subtitle={mutation.data}
        message={`If ${email.trim()} isn’t the address you signed up with, go back and try another one.`}
        testId="forgot-password-sent"
      />
    );
  }

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!emailSchema.safeParse(email).success) return setLocalError('Enter the email address you signed up with.');
    setLocalError(null);
    mutation.mutate();
  };
  const serverFields = fieldErrorsOf(mutation.error, ['email']);
  return (
    <AuthCard
      icon={<KeyIcon size={20} />}
      title="Reset your password"
      subtitle="Enter the email address of your account and we’ll send you a link to choose a new password."
      testId="forgot-password-page"
      footer={
        <>
          Remembered it?{' '}
          <Link to="/sign-in" className="link">
            Back to sign in
          </Link>
        </>
      }
    >
      <form className="form" onSubmit={submit} noValidate>
        <Field label="Email" htmlFor={id} error={localError ?? serverFields.email}>
          <TextInput
            id={id}
            type="email"
            autoComplete="email"
            value={email}
            onChange={(event) => setEmail(event.target.value)}
            invalid={Boolean(localError ?? serverFields.email)}
            autoFocus
            data-testid="forgot-email"
          />
        </Field>
        {mutation.error && !serverFields.email ? <FormError error={mutation.error} /> : null}
        <SubmitButton
          pending={mutation.isPending}
          pendingLabel="Sending…"
          className="button-primary button-block button-lg"
          testId="forgot-submit"
        >
          Send reset link
        </SubmitButton>
      </form>
    </AuthCard>
  );
}

export function ResetPasswordPage() {
  const token = useFragmentToken();
  const navigate = useNavigate();
  const passwordId = useId();
  const confirmId = useId();
  const [password, setPassword] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [localErrors, setLocalErrors] = useState<{ password?: string; confirmation?: string }>({});
  const check = usePasswordCheck(password, []);
  const mutation = useMutation({
    mutationFn: () => completePasswordReset(token ?? '', password),
    onSuccess: async (message) => {
      // Every session of the account was ended, this browser's included.
      markSignedOut(message);
      await navigate('/sign-in', { replace: true, state: { notice: message } });
    },
  });

  const linkDead = token === null || (mutation.error instanceof ApiError && mutation.error.is('invalid-email-token'));
  if (linkDead) {
    return (
      <AuthCard
        tone="danger"
        icon={<XCircleIcon size={20} />}
        title="This reset link is invalid or has expired"
        subtitle={
          token === null
            ? 'The link is incomplete. Open it straight from the email, or ask for a new one.'
            : 'Reset links work once and expire after 30 minutes. Ask for a new one and use the newest email.'
        }
        testId="reset-password-failed"
      >
        <div className="auth-actions">
          <Link to="/forgot-password" className="button button-primary button-block">
            Request a new link
          </Link>
          <Link to="/sign-in" className="button button-secondary button-block">
            Back to sign in
          </Link>
        </div>
      </AuthCard>
    );
  }

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const errors: typeof localErrors = {};
    const problem = passwordProblem(check);
    if (problem) errors.password = problem;
    else if (confirmation !== password) errors.confirmation = 'The two passwords don’t match.';
    setLocalErrors(errors);
    if (Object.keys(errors).length === 0) mutation.mutate();
  };
  const serverFields = fieldErrorsOf(mutation.error, ['newPassword']);
  return (
    <AuthCard
      icon={<KeyIcon size={20} />}
      title="Choose a new password"
      subtitle="Once it’s changed, every device signed in to your account is signed out."
      testId="reset-password-page"
    >
      <form className="form" onSubmit={submit} noValidate>
        <NewPasswordField
          id={passwordId}
          label="New password"
          value={password}
          onChange={setPassword}
          check={check}
          error={localErrors.password ?? serverFields.newPassword}
          autoFocus
          testId="reset-password"
        />
        <Field label="Confirm new password" htmlFor={confirmId} error={localErrors.confirmation}>
          <TextInput
            id={confirmId}
            type="password"
            autoComplete="new-password"
            value={confirmation}
            onChange={(event) => setConfirmation(event.target.value)}
            invalid={Boolean(localErrors.confirmation)}
            data-testid="reset-password-confirm"
          />
        </Field>
        {mutation.error && !serverFields.newPassword ? <FormError error={mutation.error} /> : null}
        <SubmitButton
          pending={mutation.isPending}
          pendingLabel="Saving…"
          className="button-primary button-block button-lg"
          testId="reset-submit"
        >
          Change password
        </SubmitButton>
      </form>
    </AuthCard>
  );
}
