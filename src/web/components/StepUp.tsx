import { useMutation, useQueryClient } from '@tanstack/react-query';
import { createContext, type FormEvent, type ReactNode, useCallback, useContext, useId, useState } from 'react';
import { totpCodeSchema } from '../../contracts/mfa.ts';
import { stepUp } from '../lib/account.ts';
import { ApiError } from '../lib/api.ts';
import { mfaStatusQuery } from '../lib/queries.ts';
import { Dialog } from './Dialog.tsx';
import { Alert, CodeInput, Field, FormError, SubmitButton } from './forms.tsx';
import { ShieldCheckIcon } from './icons.tsx';

/** The user closed the code prompt: the action was not retried. Not worth an error message. */
export class StepUpCancelled extends Error {
  constructor() {
    super('Confirmation cancelled.');
    this.name = 'StepUpCancelled';
  }
}

export function isStepUpCancelled(error: unknown): boolean {
  return error instanceof StepUpCancelled;
}

type WithStepUp = <T>(action: () => Promise<T>) => Promise<T>;

const StepUpContext = createContext<WithStepUp | null>(null);

/**
 * Runs sensitive actions: when the server answers `step-up-required`, asks for a code, sends it
 * to `POST /api/auth/step-up` and retries the action once.
 */
export function useStepUp(): WithStepUp {
  const context = useContext(StepUpContext);
  if (!context) throw new Error('useStepUp needs a StepUpProvider');
  return context;
}

interface PendingRequest {
  resolve: () => void;
  reject: (error: unknown) => void;
}

export function StepUpProvider({ children }: { children: ReactNode }) {
  const [pending, setPending] = useState<PendingRequest | null>(null);

  const withStepUp = useCallback<WithStepUp>(async (action) => {
    try {
      return await action();
    } catch (error) {
      if (!(error instanceof ApiError && error.is('step-up-required'))) throw error;
      await new Promise<void>((resolve, reject) => setPending({ resolve, reject }));
      return action();
    }
  }, []);

  return (
    <StepUpContext value={withStepUp}>
      {children}
      {pending ? (
        <StepUpDialog
          onVerified={() => {
            pending.resolve();
            setPending(null);
          }}
          onCancel={() => {
            pending.reject(new StepUpCancelled());
            setPending(null);
          }}
        />
      ) : null}
    </StepUpContext>
  );
}

function StepUpDialog({ onVerified, onCancel }: { onVerified: () => void; onCancel: () => void }) {
  const queryClient = useQueryClient();
  const id = useId();
  const [useRecovery, setUseRecovery] = useState(false);
  const [code, setCode] = useState('');
  const [localError, setLocalError] = useState<string | null>(null);
  const mutation = useMutation({
    mutationFn: (factor: { code: string } | { recoveryCode: string }) => stepUp(factor),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: mfaStatusQuery.queryKey });
      onVerified();
    },
  });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setLocalError(null);
    if (useRecovery) {
      if (code.trim().length === 0) return setLocalError('Enter one of your recovery codes.');
      mutation.mutate({ recoveryCode: code.trim() });
      return;
    }
    const parsed = totpCodeSchema.safeParse(code);
    if (!parsed.success) return setLocalError('Enter the six digits your authenticator app shows.');
    mutation.mutate({ code: parsed.data });
  };

  const serverCodeError = mutation.error instanceof ApiError && mutation.error.is('invalid-mfa-code');
  return (
    <Dialog
      title="Confirm it’s you"
      description="This action needs a fresh code from your authenticator app. You won’t be asked again for 10 minutes."
      icon={<ShieldCheckIcon size={18} />}
      onClose={onCancel}
      testId="step-up-dialog"
    >
      <form className="form" onSubmit={submit} noValidate>
        <Field
          label={useRecovery ? 'Recovery code' : 'Authentication code'}
          htmlFor={id}
          error={localError ?? (serverCodeError ? 'That code didn’t work. Check it and try again.' : null)}
        >
          <CodeInput
            id={id}
            recovery={useRecovery}
            value={code}
            onChange={(event) => setCode(event.target.value)}
            invalid={Boolean(localError) || serverCodeError}
            autoFocus
            data-testid="step-up-code"
          />
        </Field>
        {mutation.error && !serverCodeError ? <FormError error={mutation.error} /> : null}
        {useRecovery ? <Alert tone="info">Each recovery code works once. Using one here spends it.</Alert> : null}
        <div className="dialog-actions">
          <button
            type="button"
            className="button-link"
            onClick={() => {
              setUseRecovery((value) => !value);
              setCode('');
              setLocalError(null);
              mutation.reset();
            }}
          >
            {useRecovery ? 'Use authenticator app' : 'Use a recovery code'}
          </button>
          <span className="dialog-actions-spacer" />
          <button type="button" className="button button-secondary" onClick={onCancel}>
            Cancel
          </button>
          <SubmitButton pending={mutation.isPending} pendingLabel="Checking…" testId="step-up-submit">
            Confirm
          </SubmitButton>
        </div>
      </form>
    </Dialog>
  );
}
