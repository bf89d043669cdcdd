import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useId, useRef, useState } from 'react';
import { type TotpEnrolment, totpCodeSchema } from '../../contracts/mfa.ts';
import { ApiError } from '../lib/api.ts';
import { Alert, CodeInput, Field, FormError, SubmitButton } from './forms.tsx';
import { DownloadIcon, SelectAllIcon, SmartphoneIcon } from './icons.tsx';

/** `JBSWY3DPEHPK3PXP` → `JBSW Y3DP EHPK 3PXP`, easier to type into an app. */
function groupSecret(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

/**
 * Enrolling an authenticator app: the QR code (an SVG data URL, which the CSP allows as an image),
 * the secret for typing in by hand, and the first code to confirm.
 */
export function TotpEnrolmentPanel({
  enrolment,
  confirm,
  onConfirmed,
  onCancel,
}: {
  enrolment: TotpEnrolment;
  /** Sends the first code; resolves to the recovery codes. */
  confirm: (code: string) => Promise<string[]>;
  onConfirmed: (recoveryCodes: string[]) => void;
  onCancel?: () => void;
}) {
  const id = useId();
  const [code, setCode] = useState('');
  const [localError, setLocalError] = useState<string | null>(null);
  const mutation = useMutation({ mutationFn: confirm, onSuccess: onConfirmed });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const parsed = totpCodeSchema.safeParse(code);
    if (!parsed.success) {
      setLocalError('Enter the six digits your authenticator app shows.');
      return;
    }
    setLocalError(null);
    mutation.mutate(parsed.data);
  };

  const codeRejected = mutation.error instanceof ApiError && mutation.error.is('invalid-mfa-code');
  return (
    <div className="enrol" data-testid="totp-enrolment">
      <ol className="enrol-steps">
        <li className="enrol-step">
          <div className="enrol-step-head">
            <span className="enrol-step-number">1</span>
            <h3 className="enrol-step-title">Scan the QR code</h3>
          </div>
          <p className="enrol-step-text">
            Open an authenticator app — 1Password, Google Authenticator, Microsoft Authenticator, Authy — and add an
            account by scanning this code.
          </p>
          <div className="enrol-qr-row">
            <div className="enrol-qr">
              <img
                src={enrolment.qrDataUrl}
                width={168}
                height={168}
                alt={`QR code to add ${enrolment.accountName} (${enrolment.issuer}) to an authenticator app`}
                data-testid="totp-qr"
              />
            </div>
            <div className="enrol-manual">
              <div className="enrol-manual-label">Can’t scan it? Enter this key instead</div>
              <code className="enrol-secret" data-testid="totp-secret" data-secret={enrolment.secretBase32}>
                {groupSecret(enrolment.secretBase32)}
              </code>
              <dl className="enrol-meta">
                <div>
                  <dt>Account</dt>
                  <dd>{enrolment.accountName}</dd>
                </div>
                <div>
                  <dt>Issuer</dt>
                  <dd>{enrolment.issuer}</dd>
                </div>
                <div>
                  <dt>Type</dt>
                  <dd>Time-based, 6 digits, 30 seconds</dd>
                </div>
              </dl>
            </div>
          </div>
        </li>
        <li className="enrol-step">
          <div className="enrol-step-head">
            <span className="enrol-step-number">2</span>
            <h3 className="enrol-step-title">Enter the code it shows</h3>
          </div>
          <form className="enrol-confirm" onSubmit={submit} noValidate>
            <Field
              label="Authentication code"
              htmlFor={id}
              error={
                localError ?? (codeRejected ? 'That code didn’t match. Wait for the next one and try again.' : null)
              }
            >
              <CodeInput
                id={id}
                value={code}
                onChange={(event) => setCode(event.target.value)}
                invalid={Boolean(localError) || codeRejected}
                data-testid="totp-confirm-code"
              />
            </Field>
            <div className="enrol-confirm-actions">
              <SubmitButton pending={mutation.isPending} pendingLabel="Verifying…" testId="totp-confirm-submit">
                <SmartphoneIcon size={14} />
                Verify and turn on
              </SubmitButton>
              {onCancel ? (
                <button type="button" className="button button-secondary" onClick={onCancel}>
                  Cancel
                </button>
              ) : null}
            </div>
          </form>
          {mutation.error && !codeRejected ? <FormError error={mutation.error} /> : null}
        </li>
      </ol>
    </div>
  );
}

function recoveryCodesText(codes: readonly string[], accountName: string | null): string {
  return [
    `Vigil recovery codes${accountName ? ` for ${accountName}` : ''}`,
    `Generated ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    'Each code signs you in once if you lose your authenticator app.',
    'Keep them somewhere safe, such as a password manager. Generating new codes cancels these.',
    '',
    ...codes,
    '',
  ].join('\n');
}

/**
 * Recovery codes, shown once: the server stores only their hashes. Download saves them as a text
 * file (a `blob:` download, which the CSP does not restrict); the clipboard API is denied by the
 * Permissions-Policy, so "Select all" selects the codes for the user to copy themselves.
 */
export function RecoveryCodesPanel({
  codes,
  accountName,
  onDone,
  doneLabel = 'Done',
}: {
  codes: readonly string[];
  accountName: string | null;
  onDone: () => void;
  doneLabel?: string;
}) {
  const listRef = useRef<HTMLOListElement>(null);
  const [saved, setSaved] = useState(false);
  const [downloaded, setDownloaded] = useState(false);
  const checkboxId = useId();

  const download = () => {
    const blob = new Blob([recoveryCodesText(codes, accountName)], { type: 'text/plain;charset=utf-8' });
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = 'vigil-recovery-codes.txt';
    link.rel = 'noopener';
    document.body.append(link);
    link.click();
    link.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
    setDownloaded(true);
  };

  const selectAll = () => {
    const list = listRef.current;
    const selection = window.getSelection();
    if (!list || !selection) return;
    const range = document.createRange();
    range.selectNodeContents(list);
    selection.removeAllRanges();
    selection.addRange(range);
  };

  return (
    <div className="recovery" data-testid="recovery-codes">
      <Alert tone="warning" title="Save your recovery codes now">
        They won’t be shown again. If you lose your phone, each code signs you in once. Keep them in a password manager
        or print them.
      </Alert>
      <ol className="recovery-codes" ref={listRef} data-testid="recovery-code-list">
        {codes.map((code) => (
          <li key={code} className="recovery-code" data-testid="recovery-code">
            {code}
          </li>
        ))}
      </ol>
      <div className="recovery-actions">
        <button type="button" className="button button-secondary" onClick={download} data-testid="recovery-download">
          <DownloadIcon size={14} />
          {downloaded ? 'Downloaded' : 'Download .txt'}
        </button>
        <button type="button" className="button button-secondary" onClick={selectAll} data-testid="recovery-select">
          <SelectAllIcon size={14} />
          Select all
        </button>
        <span className="recovery-hint">
          then press {/Mac|iPhone|iPad/.test(navigator.userAgent) ? '⌘C' : 'Ctrl+C'} to copy
        </span>
      </div>
      <div className="recovery-done">
        <label className="checkbox" htmlFor={checkboxId}>
          <input
            id={checkboxId}
            type="checkbox"
            checked={saved}
            onChange={(event) => setSaved(event.target.checked)}
            data-testid="recovery-saved"
          />
          <span>I’ve saved these codes somewhere safe</span>
        </label>
        <button
          type="button"
          className="button button-primary"
          onClick={onDone}
          disabled={!saved}
          data-testid="recovery-done"
        >
          {doneLabel}
        </button>
      </div>
    </div>
  );
}
