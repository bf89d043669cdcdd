import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useId, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import type { WebhookEndpointView } from '../../contracts/webhooks.ts';
import { Dialog } from '../components/Dialog.tsx';
import { Alert, Field, FormError, fieldErrorsOf, SubmitButton, TextInput } from '../components/forms.tsx';
import { ChevronRightIcon, LockIcon, PlugIcon } from '../components/icons.tsx';
import { OrganisationNotFound, RestrictedPage } from '../components/OrgAccess.tsx';
import { PageSkeleton } from '../components/RequireAuth.tsx';
import { Badge, Card, ErrorState, PageHeader, Skeleton, TableSkeleton, type Tone } from '../components/ui.tsx';
import { formatRelative } from '../lib/format.ts';
import { meQuery } from '../lib/queries.ts';
import { createEndpoint, endpointsQuery, eventTypesQuery, webhookKeys } from '../lib/webhooks.ts';

export const endpointStatusTone: Record<WebhookEndpointView['status'], Tone> = {
  active: 'success',
  paused: 'neutral',
  disabled: 'danger',
};

/** 0.97 → "97 %"; null → "—". */
export function formatRate(rate: number | null): string {
  return rate === null ? '—' : `${Math.round(rate * 1000) / 10} %`;
}

function healthTone(endpoint: WebhookEndpointView): Tone {
  if (endpoint.status === 'disabled') return 'danger';
  const rate = endpoint.health.successRate;
  if (rate === null) return 'neutral';
  if (rate >= 0.99) return 'success';
  if (rate >= 0.9) return 'warning';
  return 'danger';
}

/** Shown once, right after the secret is created or rotated. */
export function SecretReveal({ secret, onDone }: { secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  const copy = () => {
    void navigator.clipboard?.writeText(secret).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  };
  return (
    <div className="secret-reveal" data-testid="webhook-secret-reveal">
      <Alert tone="warning" title="Copy the signing secret now">
        It won’t be shown again. Your receiver uses it to verify the <code>webhook-signature</code> header (any Standard
        Webhooks library does this for you).
      </Alert>
      <div className="secret-box">
        <code className="secret-value" data-testid="webhook-secret">
          {secret}
        </code>
        <button type="button" className="button button-secondary button-sm" onClick={copy}>
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <div className="dialog-actions">
        <button type="button" className="button button-primary" onClick={onDone} data-testid="webhook-secret-done">
          I’ve stored it
        </button>
      </div>
    </div>
  );
}

function AddEndpointDialog({ orgId, onClose }: { orgId: string; onClose: () => void }) {
  const urlId = useId();
  const descriptionId = useId();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const eventTypes = useQuery(eventTypesQuery);
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [selected, setSelected] = useState<string[]>([]);
  const [created, setCreated] = useState<{ id: string; secret: string } | null>(null);
  const mutation = useMutation({
    mutationFn: () =>
      createEndpoint(orgId, {
        url: url.trim(),
        description: description.trim(),
        eventTypes: selected as never,
      }),
    onSuccess: (result) => {
      void queryClient.invalidateQueries({ queryKey: webhookKeys.all(orgId) });
      setCreated({ id: result.endpoint.id, secret: result.secret });
    },
  });
  const errors = fieldErrorsOf(mutation.error, ['url', 'description', 'eventTypes']);
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    mutation.mutate();
  };
  const toggle = (type: string) =>
    setSelected((current) => (current.includes(type) ? current.filter((item) => item !== type) : [...current, type]));

  if (created) {
    return (
      <Dialog title="Endpoint added" icon={<LockIcon size={18} />} onClose={onClose} testId="webhook-created-dialog">
        <SecretReveal
          secret={created.secret}
          onDone={() => {
            onClose();
            void navigate(`/orgs/${orgId}/webhooks/${created.id}`);
          }}
        />
      </Dialog>
    );
  }
  return (
    <Dialog
      title="Add an endpoint"
      description="Vigil POSTs signed JSON to this URL whenever a subscribed event happens."
      icon={<PlugIcon size={18} />}
      onClose={onClose}
      testId="webhook-add-dialog"
    >
      <form className="form" onSubmit={submit} noValidate>
        <Field
          label="Endpoint URL"
          htmlFor={urlId}
          error={errors.url}
          hint="https:// only; must be publicly reachable."
        >
          <TextInput
            id={urlId}
            value={url}
            onChange={(event) => setUrl(event.target.value)}
            placeholder="https://example.com/webhooks/vigil"
            invalid={Boolean(errors.url)}
            spellCheck={false}
            autoCapitalize="none"
            required
            data-testid="webhook-url"
          />
        </Field>
        <Field label="Description" htmlFor={descriptionId} error={errors.description}>
          <TextInput
            id={descriptionId}
            value={description}
            onChange={(event) => setDescription(event.target.value)}
            placeholder="What receives these events?"
            data-testid="webhook-description"
          />
        </Field>
        <fieldset className="event-picker" data-testid="webhook-event-types">
          <legend className="field-label">Events</legend>
          {eventTypes.isPending ? <Skeleton width="lg" /> : null}
          {eventTypes.data?.items.map((type) => (
            <label key={type.type} className="event-option">
              <input
                type="checkbox"
                checked={selected.includes(type.type)}
                onChange={() => toggle(type.type)}
                data-testid={`webhook-event-${type.type}`}
              />
              <span>
                <span className="mono strong">{type.type}</span>
                <span className="event-option-description">{type.description}</span>
              </span>
            </label>
          ))}
          {errors.eventTypes ? <p className="field-error">Pick at least one event.</p> : null}
        </fieldset>
        {mutation.error && Object.keys(errors).length === 0 ? <FormError error={mutation.error} /> : null}
        <div className="dialog-actions">
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
          <SubmitButton pending={mutation.isPending} disabled={selected.length === 0} testId="webhook-add-submit">
            Add endpoint
          </SubmitButton>
        </div>
      </form>
    </Dialog>
  );
}

function EndpointRow({ orgId, endpoint }: { orgId: string; endpoint: WebhookEndpointView }) {
  const { health } = endpoint;
  return (
    <tr data-testid="webhook-endpoint-row">
      <td>
        <Link to={`/orgs/${orgId}/webhooks/${endpoint.id}`} className="endpoint-link">
          <span className="mono endpoint-url">{endpoint.url}</span>
          <span className="table-sub">{endpoint.description || endpoint.eventTypes.join(', ')}</span>
        </Link>
      </td>
      <td>
        <Badge tone={endpointStatusTone[endpoint.status]} dot testId="webhook-endpoint-status">
          {endpoint.status}
        </Badge>
      </td>
      <td>
        <span className={`rate rate-${healthTone(endpoint)}`} data-testid="webhook-endpoint-rate">
          {formatRate(health.successRate)}
        </span>
        <span className="table-sub">{health.deliveriesLast7Days} delivered · 7 days</span>
      </td>
      <td>
        {health.lastFailureAt ? (
          <>
            <span>{health.lastFailure}</span>
            <span className="table-sub">{formatRelative(health.lastFailureAt)}</span>
          </>
        ) : (
          <span className="muted">None</span>
        )}
      </td>
      <td className="align-right">
        <Link to={`/orgs/${orgId}/webhooks/${endpoint.id}`} className="icon-button" aria-label="Open endpoint">
          <ChevronRightIcon size={15} />
        </Link>
      </td>
    </tr>
  );
}

function EndpointList({ orgId, orgName }: { orgId: string; orgName: string }) {
  const [adding, setAdding] = useState(false);
  const query = useQuery(endpointsQuery(orgId));
  return (
    <div className="page" data-testid="webhooks-page">
      <PageHeader
        eyebrow={orgName}
        title="Webhooks"
        description="Send Vigil’s events to your systems. Every delivery is signed (Standard Webhooks), retried with backoff for a day and a half, and logged for 30 days."
        actions={
          <button
            type="button"
            className="button button-primary"
            onClick={() => setAdding(true)}
            data-testid="webhook-add"
          >
            <PlugIcon size={14} />
            Add endpoint
          </button>
        }
      />
      {query.isPending ? (
        <TableSkeleton rows={2} />
      ) : query.error ? (
        <ErrorState error={query.error} heading="Could not load the endpoints" onRetry={() => void query.refetch()} />
      ) : query.data.items.length === 0 ? (
        <div className="empty" data-testid="webhooks-empty">
          <PlugIcon size={20} />
          <div className="empty-title">No endpoints yet</div>
          <p>Add an endpoint to receive deal events as they happen. You can send it a test event straight away.</p>
        </div>
      ) : (
        <Card className="panel-flush">
          <table className="table" data-testid="webhooks-table">
            <thead>
              <tr>
                <th scope="col">Endpoint</th>
                <th scope="col">Status</th>
                <th scope="col">Success rate</th>
                <th scope="col">Last failure</th>
                <th scope="col" className="align-right">
                  <span className="visually-hidden">Open</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {query.data.items.map((endpoint) => (
                <EndpointRow key={endpoint.id} orgId={orgId} endpoint={endpoint} />
              ))}
            </tbody>
          </table>
        </Card>
      )}
      {adding ? <AddEndpointDialog orgId={orgId} onClose={() => setAdding(false)} /> : null}
    </div>
  );
}

/** Guards shared by the webhook pages: membership, and a role that may manage webhooks. */
export function WebhooksAccess({ children }: { children: (membership: { orgName: string }) => ReactNode }) {
  const { orgId = '' } = useParams();
  const { data: me } = useQuery(meQuery);
  if (!me) return <PageSkeleton />;
  const membership = me.memberships.find((candidate) => candidate.orgId === orgId);
  if (!membership) return <OrganisationNotFound testId="webhooks-no-access" />;
  if (membership.role === 'viewer') {
    return (
      <RestrictedPage
        membership={membership}
        title="Webhooks"
        heading="Builders and admins manage webhooks"
        reason="Webhook endpoints receive your organisation’s events and hold signing secrets, so viewers can’t change them."
        testId="webhooks-forbidden"
      />
    );
  }
  return <>{children({ orgName: membership.orgName })}</>;
}

export function WebhooksPage() {
  const { orgId = '' } = useParams();
  return (
    <WebhooksAccess>{({ orgName }) => <EndpointList key={orgId} orgId={orgId} orgName={orgName} />}</WebhooksAccess>
  );
}
