import { type InputHTMLAttributes, type ReactNode, useState } from 'react';
import { Link } from 'react-router';
import { type ApiError, toApiError } from '../lib/api.ts';
import { AlertIcon, CheckCircleIcon, EyeIcon, EyeOffIcon, InfoIcon } from './icons.tsx';
import type { Tone } from './ui.tsx';

export function Field({
  label,
  htmlFor,
  hint,
  error,
  aside,
  children,
  testId,
}: {
  label: ReactNode;
  htmlFor: string;
  hint?: ReactNode;
  error?: string | null;
  /** Shown at the end of the label row (e.g. "Forgot password?"). */
  aside?: ReactNode;
  children: ReactNode;
  testId?: string;
}) {
  return (
    <div className={`field${error ? ' has-error' : ''}`} data-testid={testId}>
      <div className="field-label-row">
        <label className="field-label" htmlFor={htmlFor}>
          {label}
        </label>
        {aside ? <span className="field-aside">{aside}</span> : null}
      </div>
      {children}
      {error ? (
        <p className="field-error" id={`${htmlFor}-error`} data-testid={testId ? `${testId}-error` : undefined}>
          <AlertIcon size={13} />
          <span>{error}</span>
        </p>
      ) : hint ? (
        <p className="field-hint" id={`${htmlFor}-hint`}>
          {hint}
        </p>
      ) : null}
    </div>
  );
}

type InputProps = InputHTMLAttributes<HTMLInputElement> & { invalid?: boolean };

export function TextInput({ invalid = false, className = '', ...props }: InputProps) {
  return (
    <input
      className={`input${invalid ? ' is-invalid' : ''} ${className}`.trim()}
      aria-invalid={invalid || undefined}
      aria-describedby={props.id && invalid ? `${props.id}-error` : undefined}
      {...props}
    />
  );
}

/** A password input with a show/hide toggle. */
export function PasswordInput({ invalid = false, className = '', ...props }: Omit<InputProps, 'type'>) {
  const [visible, setVisible] = useState(false);
  return (
    <div className={`input-group${invalid ? ' is-invalid' : ''}`}>
      <input
        className={`input input-grouped ${className}`.trim()}
        type={visible ? 'text' : 'password'}
        aria-invalid={invalid || undefined}
        aria-describedby={props.id && invalid ? `${props.id}-error` : undefined}
        spellCheck={false}
        autoCapitalize="none"
        {...props}
      />
      <button
        type="button"
        className="input-addon"
        onClick={() => setVisible((value) => !value)}
        aria-label={visible ? 'Hide password' : 'Show password'}
        aria-pressed={visible}
        title={visible ? 'Hide password' : 'Show password'}
      >
        {visible ? <EyeOffIcon size={15} /> : <EyeIcon size={15} />}
      </button>
    </div>
  );
}

/** Six digits from an authenticator app, or a recovery code: large, monospaced, no autocorrect. */
export function CodeInput({ recovery = false, invalid = false, ...props }: InputProps & { recovery?: boolean }) {
  return (
    <TextInput
      className={`input-code${recovery ? ' input-code-recovery' : ''}`}
      invalid={invalid}
      inputMode={recovery ? 'text' : 'numeric'}
      autoComplete="one-time-code"
      autoCapitalize="none"
      autoCorrect="off"
      spellCheck={false}
      maxLength={recovery ? 40 : 9}
      placeholder={recovery ? 'xxxx-xxxx-xxxx' : '123 456'}
      {...props}
    />
  );
}

export function SubmitButton({
  pending,
  children,
  pendingLabel,
  className = 'button-primary',
  disabled = false,
  testId,
}: {
  pending: boolean;
  children: ReactNode;
  pendingLabel?: ReactNode;
  className?: string;
  disabled?: boolean;
  testId?: string;
}) {
  return (
    <button type="submit" className={`button ${className}`} disabled={pending || disabled} data-testid={testId}>
      {pending ? <span className="button-spinner" aria-hidden="true" /> : null}
      {pending ? (pendingLabel ?? children) : children}
    </button>
  );
}

export function Alert({
  tone = 'danger',
  title,
  children,
  actions,
  testId,
}: {
  tone?: Extract<Tone, 'danger' | 'warning' | 'success' | 'info'>;
  title?: ReactNode;
  children?: ReactNode;
  actions?: ReactNode;
  testId?: string;
}) {
  const Icon = tone === 'success' ? CheckCircleIcon : tone === 'info' ? InfoIcon : AlertIcon;
  return (
    <div className={`alert alert-${tone}`} role={tone === 'danger' ? 'alert' : 'status'} data-testid={testId}>
      <Icon size={16} className="alert-icon" />
      <div className="alert-body">
        {title ? <div className="alert-title">{title}</div> : null}
        {children ? <div className="alert-text">{children}</div> : null}
        {actions ? <div className="alert-actions">{actions}</div> : null}
      </div>
    </div>
  );
}

function retryHint(error: ApiError): string | null {
  const seconds = error.retryAfterSeconds;
  if (seconds === null) return null;
  if (seconds < 90) return `Try again in ${seconds} second${seconds === 1 ? '' : 's'}.`;
  return `Try again in ${Math.ceil(seconds / 60)} minutes.`;
}

/**
 * The error of a form submission as an alert: the problem's title and detail, the wait for rate
 * limits, and a link to the problem type. Field errors are shown at their fields instead, so when
 * every field error has a home the alert only names the problem.
 */
export function FormError({
  error,
  actions,
  testId = 'form-error',
  fieldsShown = false,
}: {
  error: unknown;
  actions?: ReactNode;
  testId?: string;
  /** The problem's field errors are shown at the fields: keep the alert short. */
  fieldsShown?: boolean;
}) {
  const apiError = toApiError(error);
  const code = apiError.problemCode;
  const detail = fieldsShown ? null : apiError.detail;
  const retry = retryHint(apiError);
  return (
    <Alert tone="danger" title={apiError.title} testId={testId} actions={actions}>
      {detail || retry ? (
        <>
          {detail} {retry}
        </>
      ) : null}
      {code && !['invalid-credentials', 'validation-failed'].includes(code) ? (
        <span className="alert-meta">
          <Link to={`/problems/${encodeURIComponent(code)}`} className="link" target="_blank" rel="noopener">
            About this error
          </Link>
        </span>
      ) : null}
    </Alert>
  );
}

/** Field errors of a problem document, by JSON pointer suffix (`/body/password` → `password`). */
export function fieldErrorsOf(error: unknown, fields: readonly string[]): Record<string, string> {
  if (!error) return {};
  const apiError = toApiError(error);
  const out: Record<string, string> = {};
  for (const field of fields) {
    const message = apiError.fieldError(`/body/${field}`);
    if (message) out[field] = capitalise(message);
  }
  return out;
}

function capitalise(message: string): string {
  return message.length > 0 ? message[0]!.toUpperCase() + message.slice(1) : message;
}
