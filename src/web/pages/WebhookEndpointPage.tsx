import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, Fragment, useId, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import type { WebhookAttemptView, WebhookDeliveryView, WebhookEndpointView } from '../../contracts/webhooks.ts';
import { ConfirmDialog } from '../components/ConfirmDialog.tsx';
import { Dialog } from '../components/Dialog.tsx';
import { Alert, Field, FormError, SubmitButton, TextInput } from '../components/forms.tsx';
import {
  ArrowLeftIcon,
  ChevronRightIcon,
  KeyIcon,
  RefreshIcon,
  SignatureIcon,
  TrashIcon,
} from '../components/icons.tsx';
import { TableFooter } from '../components/TableFooter.tsx';
import { Badge, Card, ErrorState, PageHeader, Skeleton, TableSkeleton, type Tone } from '../components/ui.tsx';
import { formatDateTime, formatRelative, pluralise } from '../lib/format.ts';
import {
  type DeliveryFilters,
  deleteEndpoint,
  deliveriesQuery,
  deliveryQuery,
  deliveryRanges,
  endpointQuery,
  eventTypesQuery,
  recoverMessages,
  resendMessage,
  rotateSecret,
  sendTestEvent,
  updateEndpoint,
  webhookKeys,
} from '../lib/webhooks.ts';
import { endpointStatusTone, formatRate, SecretReveal, WebhooksAccess } from './WebhooksPage.tsx';

const stateTone: Record<WebhookDeliveryView['state'], Tone> = {
  pending: 'warning',
  succeeded: 'success',
  failed: 'danger',
};

const errorLabels: Record<string, string> = {
  dns: 'DNS failure',
  connect: 'Connection failed',
  tls: 'TLS error',
  timeout: 'Timed out',
  blocked: 'Blocked address',
  http: 'HTTP error',
  endpoint_disabled: 'Endpoint disabled',
};

function outcomeOf(item: { lastStatusCode: number | null; lastErrorClass: string | null }): string {
  if (item.lastStatusCode !== null) return `HTTP ${item.lastStatusCode}`;
  if (item.lastErrorClass) return errorLabels[item.lastErrorClass] ?? item.lastErrorClass;
  return '—';
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function HeaderTable({ headers }: { headers: Record<string, string> }) {
  return (
    <table className="table table-compact header-table">
      <tbody>
        {Object.entries(headers).map(([name, value]) => (
          <tr key={name}>
            <th scope="row" className="mono">
              {name}
            </th>
            <td className="mono">{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function AttemptCard({ attempt }: { attempt: WebhookAttemptView }) {
  const ok = attempt.statusCode !== null && attempt.statusCode >= 200 && attempt.statusCode < 300;
  return (
    <li className="attempt" data-testid="webhook-attempt">
      <div className="attempt-head">
        <span className={`attempt-dot attempt-dot-${ok ? 'success' : 'danger'}`} aria-hidden="true" />
        <span className="strong">Attempt {attempt.attemptNumber}</span>
        <Badge tone={ok ? 'success' : 'danger'} testId="webhook-attempt-outcome">
          {attempt.statusCode !== null
            ? `HTTP ${attempt.statusCode}`
            : (errorLabels[attempt.errorClass ?? ''] ?? 'Error')}
        </Badge>
        {attempt.trigger === 'manual' ? <Badge tone="info">manual</Badge> : null}
        <span className="muted small">
          {formatDateTime(attempt.startedAt)} · {attempt.durationMs} ms
        </span>
        {attempt.nextRetryAt ? (
          <span className="attempt-next" data-testid="webhook-attempt-next-retry">
            Next retry {formatRelative(attempt.nextRetryAt)}
          </span>
        ) : null}
      </div>
      {/* The badge already says "HTTP 503"; the message adds something only for errors and redirects. */}
      {attempt.errorMessage && attempt.errorMessage !== `HTTP ${attempt.statusCode}` ? (
        <p className="attempt-error">{attempt.errorMessage}</p>
      ) : null}
      <details className="attempt-details">
        <summary>Request and response</summary>
        <div className="attempt-grid">
          <div>
            <div className="event-meta-label">Request headers</div>
            <HeaderTable headers={attempt.requestHeaders} />
          </div>
          <div>
            <div className="event-meta-label">Response headers</div>
            {attempt.responseHeaders ? (
              <HeaderTable headers={attempt.responseHeaders} />
            ) : (
              <p className="muted small">No response</p>
            )}
            {attempt.responseBody ? (
              <>
                <div className="event-meta-label">Response body (first 4 KB)</div>
                <pre className="code-block">{attempt.responseBody}</pre>
              </>
            ) : null}
          </div>
        </div>
      </details>
    </li>
  );
}

function DeliveryDetails({ orgId, endpointId, messageId }: { orgId: string; endpointId: string; messageId: string }) {
  const query = useQuery(deliveryQuery(orgId, endpointId, messageId));
  if (query.isPending) return <Skeleton width="lg" />;
  if (query.error) return <FormError error={query.error} />;
  const detail = query.data;
  return (
    <div className="event-details" data-testid="webhook-delivery-details">
      <div className="delivery-columns">
        <div>
          <div className="event-meta-label">Payload</div>
          <pre className="code-block payload-block">{prettyJson(detail.payload)}</pre>
        </div>
        <div>
          <div className="event-meta-label">Attempts</div>
          {detail.attemptLog.length === 0 ? (
            <p className="muted small">Not attempted yet.</p>
          ) : (
            <ol className="attempt-list">
              {detail.attemptLog.map((attempt) => (
                <AttemptCard key={attempt.id} attempt={attempt} />
              ))}
            </ol>
          )}
        </div>
      </div>
    </div>
  );
}

function DeliveryRow({
  orgId,
  endpointId,
  delivery,
  canResend,
}: {
  orgId: string;
  endpointId: string;
  delivery: WebhookDeliveryView;
  canResend: boolean;
}) {
  const [open, setOpen] = useState(false);
  const queryClient = useQueryClient();
  const resend = useMutation({
    mutationFn: () => resendMessage(orgId, endpointId, delivery.messageId),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: webhookKeys.endpoint(orgId, endpointId) }),
  });
  return (
    <Fragment>
      <tr
        className={`event-row${open ? ' is-open' : ''}`}
        data-testid="webhook-delivery-row"
        data-state={delivery.state}
        data-attempts={delivery.attempts}
        data-event-type={delivery.eventType}
      >
        <td className="event-time">
          <time dateTime={delivery.createdAt}>{formatDateTime(delivery.createdAt)}</time>
          <span className="table-sub mono">{delivery.messageId}</span>
        </td>
        <td>
          <span className="mono strong">{delivery.eventType}</span>
        </td>
        <td>
          <Badge tone={stateTone[delivery.state]} dot testId="webhook-delivery-state">
            {delivery.state}
          </Badge>
          {delivery.state === 'pending' && delivery.nextAttemptAt ? (
            <span className="table-sub" data-testid="webhook-delivery-next">
              retry {formatRelative(delivery.nextAttemptAt)}
            </span>
          ) : null}
        </td>
        <td>
          <span>{outcomeOf(delivery)}</span>
          <span className="table-sub">{pluralise(delivery.attempts, 'attempt')}</span>
        </td>
        <td className="align-right">
          <div className="row-actions">
            {canResend ? (
              <button
                type="button"
                className="button button-secondary button-sm"
                onClick={() => resend.mutate()}
                disabled={resend.isPending}
                data-testid="webhook-resend"
              >
                <RefreshIcon size={13} className={resend.isPending ? 'spin' : undefined} />
                Resend
              </button>
            ) : null}
            <button
              type="button"
              className="icon-button"
              onClick={() => setOpen((value) => !value)}
              aria-expanded={open}
              aria-label={open ? 'Hide details' : 'Show details'}
              data-testid="webhook-delivery-toggle"
            >
              <ChevronRightIcon size={15} className={`disclosure${open ? ' is-open' : ''}`} />
            </button>
          </div>
        </td>
      </tr>
      {open ? (
        <tr className="event-details-row">
          <td colSpan={5}>
            {resend.error ? <FormError error={resend.error} /> : null}
            <DeliveryDetails orgId={orgId} endpointId={endpointId} messageId={delivery.messageId} />
          </td>
        </tr>
      ) : null}
    </Fragment>
  );
}

function DeliveryLog({
  orgId,
  endpoint,
  paused,
}: {
  orgId: string;
  endpoint: WebhookEndpointView;
  /** The endpoint is being deleted: stop polling its log. */
  paused: boolean;
}) {
  const [searchParams, setSearchParams] = useSearchParams();
  const filters: DeliveryFilters = {
    state: (['pending', 'succeeded', 'failed'].includes(searchParams.get('state') ?? '')
      ? searchParams.get('state')
      : '') as DeliveryFilters['state'],
    eventType: searchParams.get('eventType') ?? '',
    range: searchParams.get('range') ?? 'all',
  };
  const eventTypes = useQuery(eventTypesQuery);
  const query = useInfiniteQuery({ ...deliveriesQuery(orgId, endpoint.id, filters), enabled: !paused });
  const items = query.data?.pages.flatMap((page) => page.items) ?? [];
  const set = (key: keyof DeliveryFilters, value: string) => {
    const next = new URLSearchParams(searchParams);
    if (value && !(key === 'range' && value === 'all')) next.set(key, value);
    else next.delete(key);
    setSearchParams(next, { replace: true });
  };
  return (
    <section className="section" aria-labelledby="delivery-log-title">
      <div className="section-header">
        <div>
          <h2 className="section-title" id="delivery-log-title">
            Delivery log
          </h2>
          <p className="section-description">Every message sent to this endpoint in the last 30 days, newest first.</p>
        </div>
        <div className="section-actions delivery-filters" data-testid="webhook-delivery-filters">
          <select
            className="input select input-sm"
            aria-label="Status"
            value={filters.state}
            onChange={(event) => set('state', event.target.value)}
            data-testid="webhook-filter-state"
          >
            <option value="">All statuses</option>
            <option value="succeeded">Succeeded</option>
            <option value="pending">Retrying</option>
            <option value="failed">Failed</option>
          </select>
          <select
            className="input select input-sm"
            aria-label="Event type"
            value={filters.eventType}
            onChange={(event) => set('eventType', event.target.value)}
            data-testid="webhook-filter-type"
          >
            <option value="">All events</option>
            {eventTypes.data?.items.map((type) => (
              <option key={type.type} value={type.type}>
                {type.type}
              </option>
            ))}
          </select>
          <select
            className="input select input-sm"
            aria-label="Time"
            value={filters.range}
            onChange={(event) => set('range', event.target.value)}
            data-testid="webhook-filter-range"
          >
            {Object.entries(deliveryRanges).map(([key, range]) => (
              <option key={key} value={key}>
                {range.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      {query.isPending ? (
        <TableSkeleton rows={2} />
      ) : query.error && items.length === 0 ? (
        <ErrorState
          error={query.error}
          heading="Could not load the delivery log"
          onRetry={() => void query.refetch()}
        />
      ) : items.length === 0 ? (
        <div className="empty" data-testid="webhook-deliveries-empty">
          <div className="empty-title">
            No messages{filters.state || filters.eventType ? ' match these filters' : ' yet'}
          </div>
          <p>Send a test event to see a delivery here.</p>
        </div>
      ) : (
        <Card className="panel-flush">
          <table className="table delivery-table" data-testid="webhook-deliveries">
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Last response</th>
                <th scope="col" className="align-right">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((delivery) => (
                <DeliveryRow
                  key={delivery.deliveryId}
                  orgId={orgId}
                  endpointId={endpoint.id}
                  delivery={delivery}
                  canResend={endpoint.status === 'active'}
                />
              ))}
            </tbody>
          </table>
          <TableFooter
            summary={`Showing ${pluralise(items.length, 'message')}${query.hasNextPage ? '' : ' — all of them for these filters'}`}
            summaryTestId="webhook-deliveries-count"
            query={query}
            loadMoreTestId="webhook-deliveries-load-more"
          />
        </Card>
      )}
    </section>
  );
}

function RecoverDialog({ orgId, endpointId, onClose }: { orgId: string; endpointId: string; onClose: () => void }) {
  const sinceId = useId();
  const queryClient = useQueryClient();
  const [since, setSince] = useState(() => {
    const date = new Date(Date.now() - 86_400_000);
    date.setMinutes(date.getMinutes() - date.getTimezoneOffset());
    return date.toISOString().slice(0, 16);
  });
  const mutation = useMutation({
    mutationFn: () => recoverMessages(orgId, endpointId, new Date(since).toISOString()),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: webhookKeys.endpoint(orgId, endpointId) }),
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    mutation.mutate();
  };
  return (
    <Dialog
      title="Recover failed messages"
      description="Resend every message that failed since a point in time, e.g. since your receiver went down."
      icon={<RefreshIcon size={18} />}
      onClose={onClose}
      testId="webhook-recover-dialog"
    >
      {mutation.data ? (
        <>
          <Alert tone="success" title={`${pluralise(mutation.data.requeued, 'message')} queued`} />
          <div className="dialog-actions">
            <button type="button" className="button button-primary" onClick={onClose}>
              Done
            </button>
          </div>
        </>
      ) : (
        <form className="form" onSubmit={submit}>
          <Field label="Failed since" htmlFor={sinceId}>
            <TextInput
              id={sinceId}
              type="datetime-local"
              value={since}
              onChange={(event) => setSince(event.target.value)}
              data-testid="webhook-recover-since"
            />
          </Field>
          {mutation.error ? <FormError error={mutation.error} /> : null}
          <div className="dialog-actions">
            <button type="button" className="button button-secondary" onClick={onClose}>
              Cancel
            </button>
            <SubmitButton pending={mutation.isPending} testId="webhook-recover-submit">
              Recover
            </SubmitButton>
          </div>
        </form>
      )}
    </Dialog>
  );
}

function EndpointDetail({ orgId, endpointId, orgName }: { orgId: string; endpointId: string; orgName: string }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [deleting, setDeleting] = useState(false);
  // Polling stops while the endpoint is deleted, or a poll racing the deletion would get a 404.
  const query = useQuery({ ...endpointQuery(orgId, endpointId), enabled: !deleting });
  const [dialog, setDialog] = useState<'rotate' | 'delete' | 'recover' | null>(null);
  const [rotated, setRotated] = useState<string | null>(null);
  const invalidate = () => void queryClient.invalidateQueries({ queryKey: webhookKeys.all(orgId) });
  const test = useMutation({ mutationFn: () => sendTestEvent(orgId, endpointId), onSettled: invalidate });
  const status = useMutation({
    mutationFn: (next: 'active' | 'paused') => updateEndpoint(orgId, endpointId, { status: next }),
    onSettled: invalidate,
  });
  const rotate = useMutation({
    mutationFn: () => rotateSecret(orgId, endpointId),
    onSuccess: (result) => {
      setRotated(result.secret);
      invalidate();
    },
  });
  const closeRotate = () => {
    setDialog(null);
    setRotated(null);
    rotate.reset();
  };
  const remove = useMutation({
    mutationFn: () => deleteEndpoint(orgId, endpointId),
    onMutate: async () => {
      setDeleting(true);
      await queryClient.cancelQueries({ queryKey: webhookKeys.endpoint(orgId, endpointId) });
    },
    onError: () => setDeleting(false),
    onSuccess: async () => {
      // Leave the page first and drop its queries: refreshing them would ask for the deleted endpoint.
      await navigate(`/orgs/${orgId}/webhooks`);
      queryClient.removeQueries({ queryKey: webhookKeys.endpoint(orgId, endpointId) });
      invalidate();
    },
  });

  if (query.isPending)
    return (
      <div className="page">
        <Skeleton width="lg" tall />
      </div>
    );
  if (query.error)
    return (
      <div className="page">
        <ErrorState error={query.error} heading="Could not load the endpoint" onRetry={() => void query.refetch()} />
      </div>
    );
  const endpoint = query.data;
  const { health } = endpoint;
  return (
    <div className="page" data-testid="webhook-endpoint-page">
      <Link to={`/orgs/${orgId}/webhooks`} className="back-link">
        <ArrowLeftIcon size={14} />
        All endpoints
      </Link>
      <PageHeader
        eyebrow={orgName}
        title={<span className="mono endpoint-title">{endpoint.url}</span>}
        description={endpoint.description || undefined}
        actions={
          <div className="inline-actions">
            <button
              type="button"
              className="button button-primary"
              onClick={() => test.mutate()}
              disabled={test.isPending || endpoint.status !== 'active'}
              data-testid="webhook-send-test"
            >
              <SignatureIcon size={14} />
              Send test event
            </button>
            <button
              type="button"
              className="button button-secondary"
              onClick={() => setDialog('recover')}
              disabled={endpoint.status !== 'active'}
              data-testid="webhook-recover"
            >
              <RefreshIcon size={14} />
              Recover
            </button>
            {endpoint.status === 'active' ? (
              <button
                type="button"
                className="button button-secondary"
                onClick={() => status.mutate('paused')}
                data-testid="webhook-pause"
              >
                Pause
              </button>
            ) : (
              <button
                type="button"
                className="button button-secondary"
                onClick={() => status.mutate('active')}
                data-testid="webhook-enable"
              >
                {endpoint.status === 'disabled' ? 'Re-enable' : 'Resume'}
              </button>
            )}
          </div>
        }
      />
      {test.isSuccess ? (
        <Alert tone="success" title="Test event queued" testId="webhook-test-queued">
          Message <span className="mono">{test.data.messageId}</span> is on its way; it appears in the log below.
        </Alert>
      ) : null}
      {test.error ? <FormError error={test.error} /> : null}
      {status.error ? <FormError error={status.error} /> : null}
      {endpoint.status === 'disabled' ? (
        <Alert tone="danger" title="This endpoint is disabled" testId="webhook-disabled">
          {endpoint.disabledReason ?? 'It was disabled.'} Fix the receiver, re-enable it, then recover what it missed.
        </Alert>
      ) : null}

      <div className="stat-row" data-testid="webhook-endpoint-stats">
        <Card className="panel stat">
          <div className="stat-label">Status</div>
          <div className="stat-value">
            <Badge tone={endpointStatusTone[endpoint.status]} dot testId="webhook-status">
              {endpoint.status}
            </Badge>
          </div>
          <div className="panel-note">
            {endpoint.failingSince ? `Failing since ${formatRelative(endpoint.failingSince)}` : 'No ongoing failures'}
          </div>
        </Card>
        <Card className="panel stat">
          <div className="stat-label">Success rate · 7 days</div>
          <div className="stat-value">{formatRate(health.successRate)}</div>
          <div className="panel-note">
            {pluralise(health.deliveriesLast7Days, 'finished delivery', 'finished deliveries')} · {health.pending}{' '}
            retrying
          </div>
        </Card>
        <Card className="panel stat">
          <div className="stat-label">Last failure</div>
          <div className="stat-value stat-value-text">{health.lastFailure ?? 'None'}</div>
          <div className="panel-note">{health.lastFailureAt ? formatRelative(health.lastFailureAt) : '—'}</div>
        </Card>
        <Card className="panel stat">
          <div className="stat-label">Signing secret</div>
          <div className="stat-value stat-value-text mono" data-testid="webhook-secret-hint">
            {endpoint.secretHint}
          </div>
          <div className="panel-note">
            {endpoint.rotationGraceEndsAt
              ? `Previous secret valid until ${formatDateTime(endpoint.rotationGraceEndsAt)}`
              : 'Shown once when issued'}
          </div>
          <button
            type="button"
            className="button button-secondary button-sm stat-action"
            onClick={() => setDialog('rotate')}
            data-testid="webhook-rotate"
          >
            <KeyIcon size={13} />
            Rotate
          </button>
        </Card>
      </div>
      <div className="subscribed">
        <span className="muted small">Subscribed to</span>
        {endpoint.eventTypes.map((type) => (
          <Badge key={type} tone="accent">
            {type}
          </Badge>
        ))}
        {endpoint.headerNames.length > 0 ? (
          <span className="muted small">· custom headers: {endpoint.headerNames.join(', ')}</span>
        ) : null}
      </div>

      <DeliveryLog orgId={orgId} endpoint={endpoint} paused={deleting} />

      <div className="danger-row">
        <button
          type="button"
          className="button button-danger-outline button-sm"
          onClick={() => setDialog('delete')}
          data-testid="webhook-delete"
        >
          Delete endpoint
        </button>
      </div>

      {dialog === 'rotate' && rotated ? (
        <Dialog
          title="New signing secret"
          icon={<KeyIcon size={18} />}
          onClose={closeRotate}
          testId="webhook-rotate-dialog"
        >
          <SecretReveal secret={rotated} onDone={closeRotate} />
        </Dialog>
      ) : null}
      {dialog === 'rotate' && !rotated ? (
        <ConfirmDialog
          tone="default"
          icon={<KeyIcon size={18} />}
          title="Rotate the signing secret?"
          description="A new secret is issued now. For the next 24 hours every delivery is signed with both, so you can update your receiver without dropping messages."
          testId="webhook-rotate-dialog"
          confirmLabel="Rotate secret"
          pendingLabel="Rotating…"
          confirmTestId="webhook-rotate-confirm"
          pending={rotate.isPending}
          error={rotate.error}
          onConfirm={() => rotate.mutate()}
          onClose={closeRotate}
        />
      ) : null}
      {dialog === 'delete' ? (
        <ConfirmDialog
          title="Delete this endpoint?"
          description="Deliveries stop and its 30-day delivery log is deleted. This cannot be undone."
          testId="webhook-delete-dialog"
          confirmLabel="Delete endpoint"
          pendingLabel="Deleting…"
          confirmIcon={<TrashIcon size={14} />}
          confirmTestId="webhook-delete-confirm"
          pending={remove.isPending}
          error={remove.error}
          onConfirm={() => remove.mutate()}
          onClose={() => setDialog(null)}
        />
      ) : null}
      {dialog === 'recover' ? (
        <RecoverDialog orgId={orgId} endpointId={endpointId} onClose={() => setDialog(null)} />
      ) : null}
    </div>
  );
}

export function WebhookEndpointPage() {
  const { orgId = '', endpointId = '' } = useParams();
  return (
    <WebhooksAccess>
      {({ orgName }) => <EndpointDetail key={endpointId} orgId={orgId} endpointId={endpointId} orgName={orgName} />}
    </WebhooksAccess>
  );
}
