import { type FormEvent, type ReactNode, useId, useState } from 'react';
import { Dialog } from './Dialog.tsx';
import { Field, FormError, TextInput } from './forms.tsx';
import { AlertIcon } from './icons.tsx';
import { isStepUpCancelled } from './StepUp.tsx';

/** The shortest reason accepted: a word or two, so the audit trail says something. */
const MIN_REASON_LENGTH = 3;

/**
 * "Are you sure?" for an action that is hard or impossible to undo. Optionally the person must
 * say why (`reason`: recorded in an audit trail) or type a name (`typeToConfirm`: the button stays
 * disabled until it matches, as a guard against deleting the wrong thing). The action itself, its
 * pending state and its error belong to the caller; a cancelled step-up prompt is not an error.
 */
export function ConfirmDialog({
  title,
  description,
  tone = 'danger',
  icon,
  testId,
  confirmLabel,
  pendingLabel,
  confirmIcon,
  confirmTestId,
  pending,
  error,
  errorTestId,
  reason,
  typeToConfirm,
  onConfirm,
  onClose,
}: {
  title: ReactNode;
  description: ReactNode;
  tone?: 'default' | 'danger';
  /** Defaults to a warning sign for dangerous actions. */
  icon?: ReactNode;
  testId: string;
  confirmLabel: ReactNode;
  pendingLabel?: ReactNode;
  confirmIcon?: ReactNode;
  confirmTestId: string;
  pending: boolean;
  error?: unknown;
  errorTestId?: string;
  reason?: { hint: ReactNode; testId: string };
  typeToConfirm?: { value: string; testId: string };
  /** Called with the trimmed reason ('' when none is asked for). */
  onConfirm: (answer: { reason: string }) => void;
  onClose: () => void;
}) {
  const id = useId();
  const [reasonText, setReasonText] = useState('');
  const [typed, setTyped] = useState('');
  const [reasonError, setReasonError] = useState<string | null>(null);
  const typedMatches = !typeToConfirm || typed === typeToConfirm.value;

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (pending || !typedMatches) return;
    if (reason && reasonText.trim().length < MIN_REASON_LENGTH)
      return setReasonError('Say why, in a few words: it goes in the audit trail.');
    setReasonError(null);
    onConfirm({ reason: reasonText.trim() });
  };

  return (
    <Dialog
      tone={tone}
      icon={icon ?? (tone === 'danger' ? <AlertIcon size={18} /> : undefined)}
      title={title}
      description={description}
      onClose={onClose}
      testId={testId}
    >
      <form className="form" onSubmit={submit} noValidate>
        {reason ? (
          <Field label="Reason" htmlFor={id} error={reasonError} hint={reason.hint}>
            <textarea
              id={id}
              className={`input textarea${reasonError ? ' is-invalid' : ''}`}
              value={reasonText}
              onChange={(event) => setReasonText(event.target.value)}
              maxLength={500}
              rows={3}
              aria-invalid={reasonError ? true : undefined}
              aria-describedby={reasonError ? `${id}-error` : `${id}-hint`}
              autoFocus
              data-testid={reason.testId}
            />
          </Field>
        ) : null}
        {typeToConfirm ? (
          <Field
            label={
              <>
                Type <strong>{typeToConfirm.value}</strong> to confirm
              </>
            }
            htmlFor={id}
          >
            <TextInput
              id={id}
              value={typed}
              onChange={(event) => setTyped(event.target.value)}
              autoComplete="off"
              spellCheck={false}
              autoFocus
              data-testid={typeToConfirm.testId}
            />
          </Field>
        ) : null}
        {error && !isStepUpCancelled(error) ? <FormError error={error} testId={errorTestId} /> : null}
        <div className="dialog-actions">
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
          <button
            type="submit"
            className={`button ${tone === 'danger' ? 'button-danger' : 'button-primary'}`}
            disabled={pending || !typedMatches}
            data-testid={confirmTestId}
          >
            {pending ? <span className="button-spinner" aria-hidden="true" /> : confirmIcon}
            {pending ? (pendingLabel ?? confirmLabel) : confirmLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
