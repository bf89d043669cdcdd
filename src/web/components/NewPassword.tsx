import { useQuery } from '@tanstack/react-query';
import { useDeferredValue, useMemo } from 'react';
import { PASSWORD_MAX_BYTES, PASSWORD_MIN_LENGTH } from '../../contracts/identity.ts';
import { checkPassword, type PasswordCheck, strengthEstimatorQuery, strengthLabels } from '../lib/password.ts';
import { Field, PasswordInput } from './forms.tsx';
import { CheckIcon, CircleIcon, XIcon } from './icons.tsx';

/** Checks a new password as it is typed: length, bytes and (once the dictionaries load) strength. */
export function usePasswordCheck(password: string, userInputs: readonly string[]): PasswordCheck {
  const { data: estimator } = useQuery(strengthEstimatorQuery);
  const deferred = useDeferredValue(password);
  const inputsKey = userInputs.join('\n');
  return useMemo(
    () => checkPassword(deferred, estimator, inputsKey.split('\n').filter(Boolean)),
    [deferred, estimator, inputsKey],
  );
}

function Rule({ state, children, testId }: { state: 'met' | 'unmet' | 'failed'; children: string; testId: string }) {
  const Icon = state === 'met' ? CheckIcon : state === 'failed' ? XIcon : CircleIcon;
  return (
    <li className={`pw-rule pw-rule-${state}`} data-testid={testId} data-state={state}>
      <Icon size={13} />
      <span>{children}</span>
    </li>
  );
}

function StrengthMeter({ check }: { check: PasswordCheck }) {
  const score = check.strength?.score ?? null;
  const label = check.length === 0 ? 'Not set' : score === null ? 'Checking…' : strengthLabels[score];
  const tone = score === null ? 'none' : score >= 3 ? 'good' : score === 2 ? 'fair' : 'weak';
  return (
    <div className="pw-meter" data-testid="password-strength" data-score={score ?? ''}>
      <div className="pw-meter-bars" aria-hidden="true">
        {[0, 1, 2, 3].map((index) => (
          <span
            key={index}
            className={`pw-meter-bar${score !== null && check.length > 0 && index < Math.max(score, 1) ? ` is-${tone}` : ''}`}
          />
        ))}
      </div>
      <span className={`pw-meter-label pw-meter-${tone}`}>Strength: {label}</span>
    </div>
  );
}

/** A "new password" field with the policy shown as a live checklist and a strength meter. */
export function NewPasswordField({
  id,
  label = 'Password',
  value,
  onChange,
  check,
  error,
  autoFocus = false,
  testId = 'new-password',
}: {
  id: string;
  label?: string;
  value: string;
  onChange: (value: string) => void;
  check: PasswordCheck;
  error?: string | null;
  autoFocus?: boolean;
  testId?: string;
}) {
  const touched = value.length > 0;
  const advice = check.strength && check.strongEnough === false ? check.strength.advice : [];
  return (
    <Field label={label} htmlFor={id} error={error} testId={testId}>
      <PasswordInput
        id={id}
        name="new-password"
        autoComplete="new-password"
        value={value}
        onChange={(event) => onChange(event.target.value)}
        invalid={Boolean(error)}
        autoFocus={autoFocus}
        required
        data-testid={`${testId}-input`}
      />
      <div className="pw-panel">
        <StrengthMeter check={check} />
        <ul className="pw-rules">
          <Rule state={check.longEnough ? 'met' : 'unmet'} testId="rule-length">
            {`At least ${PASSWORD_MIN_LENGTH} characters${touched && !check.longEnough ? ` (${check.length} so far)` : ''}`}
          </Rule>
          <Rule state={check.shortEnough ? (touched ? 'met' : 'unmet') : 'failed'} testId="rule-bytes">
            {check.shortEnough
              ? `At most ${PASSWORD_MAX_BYTES} bytes`
              : `At most ${PASSWORD_MAX_BYTES} bytes (this one is ${check.bytes}: accented letters and emoji take more than one)`}
          </Rule>
          <Rule
            state={
              check.strongEnough === true
                ? 'met'
                : check.strongEnough === false && check.longEnough
                  ? 'failed'
                  : 'unmet'
            }
            testId="rule-strength"
          >
            Hard to guess — not a common password or built from your name or email
          </Rule>
        </ul>
        {advice.length > 0 && check.longEnough ? <p className="pw-advice">{advice.join(' ')}</p> : null}
      </div>
    </Field>
  );
}
