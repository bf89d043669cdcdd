import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import {
  SUPPORT_ACCESS_DEFAULT_HOURS,
  type SupportAccessGrant,
  grantSupportAccessRequestSchema,
} from '../../contracts/support-access.ts';
import { formatDateTime, formatRelative } from '../lib/format.ts';
import {
  grantSupportAccess,
  revokeSupportAccess,
  supportAccessDurations,
  supportAccessQuery,
} from '../lib/support-access.ts';
import { SettingsCard } from '../pages/SecurityPage.tsx';
import { Alert, Field, FormError, SubmitButton, fieldErrorsOf } from './forms.tsx';
import { LifeBuoyIcon } from './icons.tsx';
import { isStepUpCancelled, useStepUp } from './StepUp.tsx';
import { Badge, Skeleton } from './ui.tsx';

function GrantForm({
  orgId,
  replacing,
  onDone,
  onCancel,
}: {
  orgId: string;
  replacing: boolean;
  onDone: () => void;
  onCancel?: () => void;
}) {
  const durationId = useId();
  const reasonId = useId();
  const queryClient = useQueryClient();
  const withStepUp = useStepUp();
  const [hours, setHours] = useState<number>(SUPPORT_ACCESS_DEFAULT_HOURS);
  const [reason, setReason] = useState('');
  const [localError, setLocalError] = useState<string | null>(null);
  const mutation = useMutation({
    mutationFn: (request: { durationHours: number; reason: string }) =>
      withStepUp(() => grantSupportAccess(orgId, request)),
    onSuccess: (grant) => {
      queryClient.setQueryData(supportAccessQuery(orgId).queryKey, { active: grant });
      onDone();
    },
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const parsed = grantSupportAccessRequestSchema.safeParse({ durationHours: hours, reason });
    if (!parsed.success) {
      setLocalError(parsed.error.issues.find((issue) => issue.path[0] === 'reason')?.message ?? 'Check the form.');
      return;
    }
    setLocalError(null);
    mutation.mutate(parsed.data);
  };
  const serverErrors = fieldErrorsOf(mutation.error, ['reason', 'durationHours']);
  const reasonError = localError ?? serverErrors.reason ?? null;
  return (
    <form className="form form-narrow" onSubmit={submit} noValidate data-testid="support-access-form">
      <Field
        label="Duration"
        htmlFor={durationId}
        error={serverErrors.durationHours}
        hint="Access ends by itself then."
      >
        <select
          id={durationId}
          className="input select input-short"
          value={hours}
          onChange={(event) => setHours(Number(event.target.value))}
          data-testid="support-access-duration"
        >
          {supportAccessDurations.map((duration) => (
            <option key={duration.hours} value={duration.hours}>
              {duration.label}
            </option>
          ))}
        </select>
      </Field>
      <Field
        label="Reason"
        htmlFor={reasonId}
        error={reasonError}
        hint="For example the support ticket. Recorded in your audit log and the platform’s."
      >
        <textarea
          id={reasonId}
          className={`input textarea${reasonError ? ' is-invalid' : ''}`}
          value={reason}
          onChange={(event) => {
            setReason(event.target.value);
            setLocalError(null);
          }}
          maxLength={500}
          rows={2}
          aria-invalid={reasonError ? true : undefined}
          data-testid="support-access-reason"
        />
      </Field>
      {mutation.error && !isStepUpCancelled(mutation.error) && Object.keys(serverErrors).length === 0 ? (
        <FormError error={mutation.error} testId="support-access-error" />
      ) : null}
      <div className="form-actions">
        <SubmitButton pending={mutation.isPending} pendingLabel="Granting…" testId="support-access-grant">
          {replacing ? 'Replace grant' : 'Grant support access'}
        </SubmitButton>
        {onCancel ? (
          <button type="button" className="button button-secondary" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}

function ActiveGrant({ orgId, grant, onReplace }: { orgId: string; grant: SupportAccessGrant; onReplace: () => void }) {
  const queryClient = useQueryClient();
  const revoke = useMutation({
    mutationFn: () => revokeSupportAccess(orgId),
    onSuccess: () => queryClient.setQueryData(supportAccessQuery(orgId).queryKey, { active: null }),
  });
  const grantor = grant.grantedBy ? (grant.grantedBy.displayName ?? grant.grantedBy.email) : 'a former member';
  return (
    <div className="support-grant" data-testid="support-access-active">
      <div className="support-grant-head">
        <Badge tone="warning" dot>
          Support can read your deals
        </Badge>
        <span className="support-grant-expiry" data-testid="support-access-expiry">
          until <time dateTime={grant.expiresAt}>{formatDateTime(grant.expiresAt)}</time> (
          {formatRelative(grant.expiresAt)})
        </span>
      </div>
      <dl className="support-grant-details">
        <div>
          <dt>Granted by</dt>
          <dd>
            {grantor} · {formatDateTime(grant.grantedAt)}
          </dd>
        </div>
        <div>
          <dt>Reason</dt>
          <dd className="support-grant-reason">{grant.reason}</dd>
        </div>
      </dl>
      {revoke.error ? <FormError error={revoke.error} testId="support-access-revoke-error" /> : null}
      <div className="inline-actions">
        <button
          type="button"
          className="button button-danger-outline"
          disabled={revoke.isPending}
          onClick={() => revoke.mutate()}
          data-testid="support-access-revoke"
        >
          {revoke.isPending ? 'Revoking…' : 'Revoke now'}
        </button>
        <button
          type="button"
          className="button button-secondary"
          onClick={onReplace}
          data-testid="support-access-replace"
        >
          Change duration or reason
        </button>
      </div>
    </div>
  );
}

/**
 * Organisation settings: let the platform's support staff read this organisation's deals for a
 * while. Org admins only (the server enforces it; this card is shown to them alone).
 */
export function SupportAccessCard({ orgId }: { orgId: string }) {
  const query = useQuery(supportAccessQuery(orgId));
  const [replacing, setReplacing] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const active = query.data?.active ?? null;
  return (
    <SettingsCard
      icon={<LifeBuoyIcon size={18} />}
      title="Support access"
      description="Let Vigil’s support staff read this organisation’s deals — read-only — for a limited time. They never see integration tokens, webhook secrets or AI keys, and every look is recorded in your audit log."
      testId="support-access-card"
    >
      {query.isPending ? (
        <div className="skeleton-stack">
          <Skeleton width="md" />
          <Skeleton width="lg" />
        </div>
      ) : query.error ? (
        <FormError error={query.error} testId="support-access-load-error" />
      ) : (
        <div className="stack">
          {notice ? (
            <Alert tone="success" testId="support-access-notice">
              {notice}
            </Alert>
          ) : null}
          {active ? (
            <ActiveGrant
              orgId={orgId}
              grant={active}
              onReplace={() => {
                setNotice(null);
                setReplacing(true);
              }}
            />
          ) : (
            <p className="muted small" data-testid="support-access-none">
              Support access is off. Platform administrators cannot see your deals.
            </p>
          )}
          {!active || replacing ? (
            <GrantForm
              orgId={orgId}
              replacing={Boolean(active)}
              onDone={() => {
                setReplacing(false);
                setNotice(active ? 'The grant was replaced.' : 'Support access granted.');
              }}
              {...(active ? { onCancel: () => setReplacing(false) } : {})}
            />
          ) : null}
        </div>
      )}
    </SettingsCard>
  );
}
