import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import type { SsoCallbackResponse } from '../../contracts/sso.ts';
import { totpCodeSchema } from '../../contracts/mfa.ts';
import { AuthCard, safeNextPath } from '../components/AuthLayout.tsx';
import { Alert, CodeInput, Field, FormError, PasswordInput, SubmitButton } from '../components/forms.tsx';
import { AlertIcon, LinkIcon } from '../components/icons.tsx';
import { ProviderLogo } from '../components/SsoButtons.tsx';
import { ApiError } from '../lib/api.ts';
import { resetAccountQueries } from '../lib/queries.ts';
import { completeSsoCallback, completeSsoLink, takeSsoNext } from '../lib/sso.ts';
import type { SsoSecondStep } from './SignInPage.tsx';

type LinkRequired = Extract<SsoCallbackResponse, { outcome: 'link-required' }>;

/**
 * Where the provider sends the browser back (`/sso/:provider/callback?code=…&state=…`). Posts the
 * answer once to the API, then: signed in → onwards; a second factor → the sign-in page's code
 * or enrolment step; an existing account with this email → its password (and code) before
 * anything is linked; a link from the security page → back there.
 */
export function SsoCallbackPage() {
  const { provider = '' } = useParams();
  const navigate = useNavigate();
  // Read once: the query string is replaced below so a reload cannot resend a spent answer.
  const [search] = useState(() => window.location.search);
  const [next] = useState(() => safeNextPath(takeSsoNext()));
  // A query, not an effect: sent once per answer even when React renders twice.
  const callback = useQuery({
    queryKey: ['sso-callback', provider, search],
    queryFn: () => completeSsoCallback(provider, search),
    staleTime: Number.POSITIVE_INFINITY,
    gcTime: Number.POSITIVE_INFINITY,
    retry: false,
    refetchOnWindowFocus: false,
  });

  useEffect(() => {
    window.history.replaceState(window.history.state, '', window.location.pathname);
  }, []);

  const outcome = callback.data;
  useEffect(() => {
    if (!outcome) return;
    void proceed(outcome, { navigate, next });
  }, [outcome, navigate, next]);

  if (callback.error) {
    return <SsoFailure error={callback.error} />;
  }
  if (outcome?.outcome === 'link-required') {
    return <LinkAccountStep pending={outcome} next={next} />;
  }
  return (
    <AuthCard title="Signing you in…" subtitle="Checking the answer from your sign-in provider." testId="sso-progress">
      <div className="auth-progress" aria-busy="true">
        <span className="button-spinner" />
      </div>
    </AuthCard>
  );
}

async function proceed(
  outcome: SsoCallbackResponse,
  options: { navigate: ReturnType<typeof useNavigate>; next: string },
): Promise<void> {
  const { navigate, next } = options;
  switch (outcome.outcome) {
    case 'signed-in':
      await resetAccountQueries();
      await navigate(next, { replace: true });
      return;
    case 'mfa-required': {
      const ssoSecondStep: SsoSecondStep = {
        email: outcome.email,
        challengeToken: outcome.challengeToken,
        enrolmentRequired: outcome.enrolmentRequired,
      };
      await navigate(`/sign-in?next=${encodeURIComponent(next)}`, { replace: true, state: { ssoSecondStep } });
      return;
    }
    case 'linked':
      await resetAccountQueries();
      await navigate('/account/security', {
        replace: true,
        state: { notice: `${outcome.provider.name} is now linked: you can use it to sign in.` },
      });
      return;
    case 'link-required':
      return;
  }
}

function SsoFailure({ error }: { error: unknown }) {
  const problem = error instanceof ApiError ? error : null;
  const title = problem?.is('sso-email-unverified')
    ? 'Your email isn’t verified there'
    : problem?.is('sso-state-invalid')
      ? 'This sign-in link has expired'
      : problem?.is('sso-cancelled')
        ? 'Sign-in was cancelled'
        : 'We couldn’t sign you in';
  return (
    <AuthCard
      icon={<AlertIcon size={20} />}
      tone="danger"
      title={title}
      subtitle="Nobody was signed in. You can try again, or use your email and password."
      testId="sso-failure"
    >
      <FormError error={error} />
      <div className="auth-actions">
        <Link to="/sign-in" className="button button-primary button-block button-lg" replace>
          Back to sign in
        </Link>
      </div>
    </AuthCard>
  );
}

function LinkAccountStep({ pending, next }: { pending: LinkRequired; next: string }) {
  const navigate = useNavigate();
  const passwordId = useId();
  const codeId = useId();
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [localErrors, setLocalErrors] = useState<{ password?: string; code?: string }>({});
  const mutation = useMutation({
    mutationFn: (factor: { code?: string }) => completeSsoLink({ linkToken: pending.linkToken, password, ...factor }),
    onSuccess: (outcome) => proceed(outcome, { navigate, next }),
  });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const errors: typeof localErrors = {};
    if (password.length === 0) errors.password = 'Enter the password of your Vigil account.';
    let parsedCode: string | undefined;
    if (pending.secondFactorRequired) {
      const parsed = totpCodeSchema.safeParse(code);
      if (parsed.success) parsedCode = parsed.data;
      else errors.code = 'Enter the six digits your authenticator app shows.';
    }
    setLocalErrors(errors);
    if (Object.keys(errors).length === 0) mutation.mutate(parsedCode ? { code: parsedCode } : {});
  };

  const error = mutation.error instanceof ApiError ? mutation.error : null;
  const wrongPassword = error?.is('invalid-credentials') ?? false;
  const wrongCode = error?.is('invalid-mfa-code') ?? false;
  const expired = error?.is('sso-link-invalid') ?? false;
  const providerName = pending.provider.name;
  if (!pending.hasPassword) {
    return (
      <AuthCard
        icon={<LinkIcon size={20} />}
        title={`Link ${providerName} to your account`}
        subtitle={
          <>
            <strong>{pending.email}</strong> already has a Vigil account that signs in with another provider.
          </>
        }
        testId="sso-link-step"
      >
        <Alert tone="info">
          Sign in the way you usually do, then link {providerName} from <strong>Account → Security</strong>. We never
          join accounts on an email address alone.
        </Alert>
        <div className="auth-actions">
          <Link to="/sign-in" className="button button-primary button-block button-lg" replace>
            Back to sign in
          </Link>
        </div>
      </AuthCard>
    );
  }
  return (
    <AuthCard
      icon={<LinkIcon size={20} />}
      title={`Link ${providerName} to your account`}
      subtitle={
        <>
          <strong>{pending.email}</strong> already has a Vigil account. Confirm it’s yours to use {providerName} to sign
          in from now on.
        </>
      }
      testId="sso-link-step"
      footer={
        <Link to="/forgot-password" className="link">
          Forgot your password?
        </Link>
      }
    >
      <div className="sso-link-provider">
        <span className="sso-identity-logo">
          <ProviderLogo provider={pending.provider} />
        </span>
        <span>
          Signed in to <strong>{providerName}</strong> as <strong>{pending.email}</strong>
        </span>
      </div>
      <form className="form" onSubmit={submit} noValidate data-testid="sso-link-form">
        {/* Lets password managers offer the right saved password. */}
        <input
          type="email"
          name="username"
          autoComplete="username"
          value={pending.email}
          readOnly
          tabIndex={-1}
          aria-hidden="true"
          className="visually-hidden"
        />
        <Field
          label="Vigil password"
          htmlFor={passwordId}
          error={localErrors.password ?? (wrongPassword ? 'That’s not the password of this account.' : null)}
        >
          <PasswordInput
            id={passwordId}
            autoComplete="current-password"
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            invalid={Boolean(localErrors.password) || wrongPassword}
            autoFocus
            data-testid="sso-link-password"
          />
        </Field>
        {pending.secondFactorRequired ? (
          <Field
            label="Authentication code"
            htmlFor={codeId}
            error={localErrors.code ?? (wrongCode ? 'That code didn’t work. Check it and try again.' : null)}
          >
            <CodeInput
              id={codeId}
              value={code}
              onChange={(event) => setCode(event.target.value)}
              invalid={Boolean(localErrors.code) || wrongCode}
              data-testid="sso-link-code"
            />
          </Field>
        ) : null}
        {expired ? (
          <Alert
            tone="warning"
            title="This step expired"
            actions={
              <Link to="/sign-in" className="button button-secondary button-sm" replace>
                Start again
              </Link>
            }
          >
            Linking has to be confirmed within 10 minutes of signing in with {providerName}.
          </Alert>
        ) : mutation.error && !wrongPassword && !wrongCode ? (
          <FormError error={mutation.error} />
        ) : null}
        <SubmitButton
          pending={mutation.isPending}
          pendingLabel="Linking…"
          className="button-primary button-block button-lg"
          disabled={expired}
          testId="sso-link-submit"
        >
          Link and sign in
        </SubmitButton>
        <p className="auth-fineprint">We never join accounts on an email address alone.</p>
      </form>
    </AuthCard>
  );
}
