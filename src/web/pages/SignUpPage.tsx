import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useId, useState } from 'react';
import { Link, Navigate, useSearchParams } from 'react-router';
import { emailSchema } from '../../contracts/identity.ts';
import { AuthCard, safeNextPath } from '../components/AuthLayout.tsx';
import { SsoButtons } from '../components/SsoButtons.tsx';
import { Alert, Field, FormError, fieldErrorsOf, SubmitButton, TextInput } from '../components/forms.tsx';
import { InboxIcon, MailIcon } from '../components/icons.tsx';
import { NewPasswordField, usePasswordCheck } from '../components/NewPassword.tsx';
import { resendVerification, signUp } from '../lib/account.ts';
import { passwordProblem } from '../lib/password.ts';
import { devOutboxAvailable, meQuery, statusQuery } from '../lib/queries.ts';

/** "Check your inbox", with a resend button and, on a local development server, the dev mailbox. */
export function CheckInbox({
  subtitle,
  message,
  onResend,
  testId = 'check-inbox',
}: {
  subtitle: ReactNode;
  message: string;
  /** Omitted: no resend button (e.g. password reset, where the form can simply be sent again). */
  onResend?: () => Promise<string>;
  testId?: string;
}) {
  const { data: status } = useQuery(statusQuery);
  const resend = useMutation({ mutationFn: () => onResend?.() ?? Promise.resolve('') });
  return (
    <AuthCard
      icon={<MailIcon size={20} />}
      title="Check your inbox"
      subtitle={subtitle}
      testId={testId}
      footer={
        <Link to="/sign-in" className="link">
          Back to sign in
        </Link>
      }
    >
      <p className="auth-text" data-testid="check-inbox-message">
        {message}
      </p>
      {resend.isSuccess ? <Alert tone="success">{resend.data}</Alert> : null}
      {resend.error ? <FormError error={resend.error} /> : null}
      <div className="auth-actions">
        {devOutboxAvailable(status?.profile) ? (
          <Link to="/dev/mailbox" className="button button-primary button-block" data-testid="open-dev-mailbox">
            <InboxIcon size={15} />
            Open the dev mailbox
          </Link>
        ) : null}
        {onResend ? (
          <button
            type="button"
            className="button button-secondary button-block"
            onClick={() => resend.mutate()}
            disabled={resend.isPending}
          >
            {resend.isPending ? 'Sending…' : 'Send the email again'}
          </button>
        ) : null}
      </div>
    </AuthCard>
  );
}

export function SignUpPage() {
  const [searchParams] = useSearchParams();
  const next = safeNextPath(searchParams.get('next'));
  const { data: me } = useQuery(meQuery);
  const nameId = useId();
  const emailId = useId();
  const passwordId = useId();
  const [displayName, setDisplayName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [localErrors, setLocalErrors] = useState<{ email?: string; password?: string }>({});
  const check = usePasswordCheck(password, [email, displayName]);
  const mutation = useMutation({
    mutationFn: () =>
      signUp({ email: email.trim(), password, ...(displayName.trim() ? { displayName: displayName.trim() } : {}) }),
  });

  if (me && !mutation.isSuccess) return <Navigate to={next} replace />;

  if (mutation.isSuccess) {
    return (
      <CheckInbox
        subtitle={
          <>
            We sent a message to <strong>{email.trim()}</strong>. Follow the link in it to finish setting up your
            account.
          </>
        }
        message="The link works once, for 24 hours. Nothing there after a few minutes? Check the address and your spam folder, or send it again."
        onResend={() => resendVerification(email.trim())}
      />
    );
  }

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const errors: typeof localErrors = {};
    if (!emailSchema.safeParse(email).success) errors.email = 'Enter a valid email address, like name@company.com.';
    const problem = passwordProblem(check);
    if (problem) errors.password = problem;
    setLocalErrors(errors);
    if (Object.keys(errors).length === 0) mutation.mutate();
  };

  const serverFields = fieldErrorsOf(mutation.error, ['email', 'password', 'displayName']);
  const signInHref = next === '/' ? '/sign-in' : `/sign-in?next=${encodeURIComponent(next)}`;
  return (
    <AuthCard
      title="Create your Vigil account"
      subtitle="Start watching your pipeline in a few minutes."
      testId="sign-up-page"
      footer={
        <>
          Already have an account?{' '}
          <Link to={signInHref} className="link" data-testid="to-sign-in">
            Sign in
          </Link>
        </>
      }
    >
      <SsoButtons next={next} dividerLabel="or sign up with email" />
      <form className="form" onSubmit={submit} noValidate data-testid="sign-up-form">
        <Field
          label="Full name"
          htmlFor={nameId}
          hint="Optional. Shown to your teammates."
          error={serverFields.displayName}
        >
          <TextInput
            id={nameId}
            name="name"
            autoComplete="name"
            value={displayName}
            onChange={(event) => setDisplayName(event.target.value)}
            invalid={Boolean(serverFields.displayName)}
            maxLength={200}
            autoFocus
            data-testid="sign-up-name"
          />
        </Field>
        <Field label="Work email" htmlFor={emailId} error={localErrors.email ?? serverFields.email}>
          <TextInput
            id={emailId}
            type="email"
            name="email"
            autoComplete="username"
            value={email}
            onChange={(event) => setEmail(event.target.value)}
            invalid={Boolean(localErrors.email ?? serverFields.email)}
            required
            data-testid="sign-up-email"
          />
        </Field>
        <NewPasswordField
          id={passwordId}
          value={password}
          onChange={setPassword}
          check={check}
          error={localErrors.password ?? serverFields.password}
          testId="sign-up-password"
        />
        {mutation.error && Object.keys(serverFields).length === 0 ? <FormError error={mutation.error} /> : null}
        <SubmitButton
          pending={mutation.isPending}
          pendingLabel="Creating your account…"
          className="button-primary button-block button-lg"
          testId="sign-up-submit"
        >
          Create account
        </SubmitButton>
        <p className="auth-fineprint">
          We’ll email you a link to confirm your address. Passwords are stored with bcrypt and never leave this server.
        </p>
      </form>
    </AuthCard>
  );
}
