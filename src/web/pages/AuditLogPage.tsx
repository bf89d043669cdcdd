import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { type FormEvent, Fragment, type MouseEvent, useId, useState } from 'react';
import { useParams, useSearchParams } from 'react-router';
import type { AuditEventView } from '../../contracts/audit.ts';
import { auditActionLabel } from '../../contracts/audit-actions.ts';
import type { MeResponse } from '../../contracts/identity.ts';
import { roleHasPermission } from '../../contracts/permissions.ts';
import { Field, FormError, TextInput } from '../components/forms.tsx';
import { ChevronRightIcon, DownloadIcon, FilterIcon, XIcon } from '../components/icons.tsx';
import { OrganisationNotFound, RestrictedPage } from '../components/OrgAccess.tsx';
import { PageSkeleton } from '../components/RequireAuth.tsx';
import { TableFooter } from '../components/TableFooter.tsx';
import { Badge, Card, ErrorState, PageHeader, TableSkeleton, type Tone } from '../components/ui.tsx';
import {
  type AuditFilters,
  type AuditRange,
  type AuditScope,
  auditEventsQuery,
  auditRanges,
  exportUrl,
  filtersFromSearch,
  filtersToSearch,
  isAuditRange,
  prepareExport,
  validateFilters,
} from '../lib/audit.ts';
import { formatDateTime, formatRelative, pluralise } from '../lib/format.ts';
import { meQuery } from '../lib/queries.ts';

const outcomeTone: Record<AuditEventView['outcome'], Tone> = {
  success: 'success',
  denied: 'warning',
  failure: 'danger',
};

/** `01a20500-e62d-7303-9dbf-eb5a2f2b2087` → `01a20500…2087`: enough to tell ids apart at a glance. */
function shortId(id: string): string {
  return id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
}

const noFilters: AuditFilters = { action: '', actor: '', targetType: '', targetId: '', range: 'all', from: '', to: '' };
const filterParams = new Set(['action', 'actor', 'targetType', 'targetId', 'range', 'from', 'to']);
/** Target types the server records (the field accepts others). */
const knownTargetTypes = ['user', 'session', 'organisation', 'invitation'];

function isFiltered(filters: AuditFilters): boolean {
  return Boolean(filters.action || filters.actor || filters.targetType || filters.targetId || filters.range !== 'all');
}

function FilterBar({ filters, onApply }: { filters: AuditFilters; onApply: (filters: AuditFilters) => void }) {
  const actionId = useId();
  const actorId = useId();
  const targetTypeId = useId();
  const targetIdId = useId();
  const rangeId = useId();
  const fromId = useId();
  const toId = useId();
  const [draft, setDraft] = useState(filters);
  const [errors, setErrors] = useState<ReturnType<typeof validateFilters>>({});

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const found = validateFilters(draft);
    setErrors(found);
    if (Object.keys(found).length === 0) {
      onApply({
        ...draft,
        action: draft.action.trim(),
        actor: draft.actor.trim(),
        targetType: draft.targetType.trim(),
        targetId: draft.targetId.trim(),
      });
    }
  };
  const active = isFiltered(filters);
  return (
    <form className="card filter-bar" onSubmit={submit} noValidate data-testid="audit-filters">
      <div className="filter-fields">
        <Field label="Action starts with" htmlFor={actionId} error={errors.action}>
          <TextInput
            id={actionId}
            value={draft.action}
            onChange={(event) => setDraft({ ...draft, action: event.target.value })}
            placeholder="e.g. session. or mfa."
            invalid={Boolean(errors.action)}
            spellCheck={false}
            autoCapitalize="none"
            data-testid="audit-filter-action"
          />
        </Field>
        <Field label="Actor" htmlFor={actorId} error={errors.actor}>
          <TextInput
            id={actorId}
            value={draft.actor}
            onChange={(event) => setDraft({ ...draft, actor: event.target.value })}
            placeholder="User ID"
            invalid={Boolean(errors.actor)}
            spellCheck={false}
            className="mono-input"
            data-testid="audit-filter-actor"
          />
        </Field>
        <Field label="Target type" htmlFor={targetTypeId} error={errors.targetType}>
          <TextInput
            id={targetTypeId}
            value={draft.targetType}
            onChange={(event) => setDraft({ ...draft, targetType: event.target.value })}
            placeholder="e.g. user"
            invalid={Boolean(errors.targetType)}
            spellCheck={false}
            autoCapitalize="none"
            list={`${targetTypeId}-types`}
            data-testid="audit-filter-target-type"
          />
          <datalist id={`${targetTypeId}-types`}>
            {knownTargetTypes.map((type) => (
              <option key={type} value={type} />
            ))}
          </datalist>
        </Field>
        <Field label="Target ID" htmlFor={targetIdId} error={errors.targetId}>
          <TextInput
            id={targetIdId}
            value={draft.targetId}
            onChange={(event) => setDraft({ ...draft, targetId: event.target.value })}
            placeholder="Any"
            invalid={Boolean(errors.targetId)}
            spellCheck={false}
            className="mono-input"
            data-testid="audit-filter-target-id"
          />
        </Field>
        <Field label="Time" htmlFor={rangeId} error={errors.range}>
          <select
            id={rangeId}
            className="input select"
            value={draft.range}
            onChange={(event) =>
              setDraft({ ...draft, range: isAuditRange(event.target.value) ? event.target.value : 'all' })
            }
            data-testid="audit-filter-range"
          >
            {(Object.keys(auditRanges) as AuditRange[]).map((range) => (
              <option key={range} value={range}>
                {auditRanges[range].label}
              </option>
            ))}
          </select>
        </Field>
        {draft.range === 'custom' ? (
          <>
            <Field label="From" htmlFor={fromId}>
              <TextInput
                id={fromId}
                type="datetime-local"
                value={draft.from}
                onChange={(event) => setDraft({ ...draft, from: event.target.value })}
                data-testid="audit-filter-from"
              />
            </Field>
            <Field label="To" htmlFor={toId}>
              <TextInput
                id={toId}
                type="datetime-local"
                value={draft.to}
                onChange={(event) => setDraft({ ...draft, to: event.target.value })}
                data-testid="audit-filter-to"
              />
            </Field>
          </>
        ) : null}
      </div>
      <div className="filter-actions">
        <button type="submit" className="button button-primary" data-testid="audit-filter-apply">
          <FilterIcon size={14} />
          Apply
        </button>
        {active ? (
          <button
            type="button"
            className="button button-secondary"
            onClick={() => onApply(noFilters)}
            data-testid="audit-filter-clear"
          >
            <XIcon size={14} />
            Clear
          </button>
        ) : null}
      </div>
    </form>
  );
}

function TargetCell({
  target,
  onFilterTarget,
}: {
  target: AuditEventView['target'];
  onFilterTarget: (type: string, id: string) => void;
}) {
  if (!target) return <span className="muted">—</span>;
  return (
    <div className="actor">
      <button
        type="button"
        className="actor-chip"
        onClick={() => onFilterTarget(target.type, target.id ?? '')}
        title={
          target.id ? `Show only events about ${target.type} ${target.id}` : `Show only events about a ${target.type}`
        }
        data-testid="audit-target"
      >
        <span>{target.type}</span>
      </button>
      {target.id ? (
        <span className="table-sub mono" title={target.id}>
          {shortId(target.id)}
        </span>
      ) : null}
    </div>
  );
}

function ActorCell({
  event,
  me,
  onFilterActor,
}: {
  event: AuditEventView;
  me: MeResponse;
  onFilterActor: (userId: string) => void;
}) {
  const { userId, role, ip } = event.actor;
  return (
    <div className="actor">
      {userId ? (
        <button
          type="button"
          className="actor-chip"
          onClick={() => onFilterActor(userId)}
          title={`Show only events by ${userId}`}
          data-testid="audit-actor"
        >
          {userId === me.id ? <span className="actor-you">You</span> : <span className="mono">{shortId(userId)}</span>}
        </button>
      ) : (
        <span className="muted">System</span>
      )}
      <span className="table-sub">{[role?.replace('_', ' '), ip].filter(Boolean).join(' · ') || '—'}</span>
    </div>
  );
}

function EventDetails({ event }: { event: AuditEventView }) {
  const metadata = Object.keys(event.metadata).length > 0 ? JSON.stringify(event.metadata, null, 2) : null;
  return (
    <div className="event-details" data-testid="audit-event-details">
      <dl className="event-meta">
        <div>
          <dt>Event ID</dt>
          <dd className="mono">{event.id}</dd>
        </div>
        <div>
          <dt>Sequence</dt>
          <dd className="mono">#{event.seq}</dd>
        </div>
        <div>
          <dt>Request ID</dt>
          <dd className="mono">{event.requestId ?? '—'}</dd>
        </div>
        <div>
          <dt>Actor</dt>
          <dd className="mono">{event.actor.userId ?? 'System'}</dd>
        </div>
        <div className="event-meta-wide">
          <dt>User agent</dt>
          <dd>{event.actor.userAgent ?? '—'}</dd>
        </div>
        <div className="event-meta-wide">
          <dt>Chain hash</dt>
          <dd className="mono event-hash">{event.hash}</dd>
        </div>
      </dl>
      {metadata ? (
        <div>
          <div className="event-meta-label">Metadata</div>
          <pre className="code-block">{metadata}</pre>
        </div>
      ) : null}
    </div>
  );
}

function EventRow({
  event,
  me,
  onFilterActor,
  onFilterTarget,
}: {
  event: AuditEventView;
  me: MeResponse;
  onFilterActor: (userId: string) => void;
  onFilterTarget: (type: string, id: string) => void;
}) {
  const [open, setOpen] = useState(false);
  const detailsId = useId();
  const label = auditActionLabel(event.action);
  return (
    <Fragment>
      <tr className={`event-row${open ? ' is-open' : ''}`} data-testid="audit-row" data-action={event.action}>
        <td className="event-time">
          <time dateTime={event.occurredAt} title={formatDateTime(event.occurredAt)}>
            {formatDateTime(event.occurredAt)}
          </time>
          <span className="table-sub">{formatRelative(event.occurredAt)}</span>
        </td>
        <td>
          <div className="event-action">
            <span className="strong" data-testid="audit-action-label">
              {label}
            </span>
            {event.outcome !== 'success' ? (
              <Badge tone={outcomeTone[event.outcome]} dot>
                {event.outcome}
              </Badge>
            ) : null}
          </div>
          {/* The stored name too: it is what the action filter and the exports use. */}
          {label !== event.action ? <span className="table-sub mono">{event.action}</span> : null}
        </td>
        <td>
          <ActorCell event={event} me={me} onFilterActor={onFilterActor} />
        </td>
        <td>
          <TargetCell target={event.target} onFilterTarget={onFilterTarget} />
        </td>
        <td className="align-right">
          <button
            type="button"
            className="icon-button"
            onClick={() => setOpen((value) => !value)}
            aria-expanded={open}
            aria-controls={detailsId}
            aria-label={open ? 'Hide details' : 'Show details'}
            data-testid="audit-row-toggle"
          >
            <ChevronRightIcon size={15} className={`disclosure${open ? ' is-open' : ''}`} />
          </button>
        </td>
      </tr>
      {open ? (
        <tr className="event-details-row" id={detailsId}>
          <td colSpan={5}>
            <EventDetails event={event} />
          </td>
        </tr>
      ) : null}
    </Fragment>
  );
}

function ExportButton({
  scope,
  filters,
  format,
  now,
}: {
  scope: AuditScope;
  filters: AuditFilters;
  format: 'csv' | 'jsonl';
  now: number;
}) {
  const [error, setError] = useState<unknown>(null);
  // A plain download link (the browser sends the session cookie). The click first makes sure the
  // access cookie is fresh and scoped to this organisation, and resolves relative ranges to now.
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    const anchor = event.currentTarget;
    setError(null);
    prepareExport(scope).then(
      () => {
        const link = document.createElement('a');
        link.href = exportUrl(scope, filters, format, Date.now());
        link.download = anchor.download;
        document.body.append(link);
        link.click();
        link.remove();
      },
      (cause: unknown) => setError(cause),
    );
  };
  return (
    <>
      <a
        href={exportUrl(scope, filters, format, now)}
        download={`vigil-audit.${format}`}
        className="button button-secondary"
        onClick={onClick}
        data-testid={`audit-export-${format}`}
      >
        <DownloadIcon size={14} />
        {format === 'csv' ? 'CSV' : 'JSON Lines'}
      </a>
      {error ? <FormError error={error} testId="audit-export-error" /> : null}
    </>
  );
}

/**
 * An audit chain with its filter bar, table and exports: an organisation's (the audit log page)
 * or the platform's (the admin console). The filters live in the URL.
 */
export function AuditLog({
  me,
  scope,
  eyebrow,
  title = 'Audit log',
  description,
  header = true,
}: {
  me: MeResponse;
  scope: AuditScope;
  eyebrow?: string;
  title?: string;
  description: string;
  /** False when the page around it has its own header: the exports go above the filters instead. */
  header?: boolean;
}) {
  const [searchParams, setSearchParams] = useSearchParams();
  const filters = filtersFromSearch(searchParams);
  const query = useInfiniteQuery(auditEventsQuery(scope, filters));
  const events = query.data?.pages.flatMap((page) => page.items) ?? [];
  const apply = (next: AuditFilters) => {
    // Other parameters of the page (e.g. the admin console's tab) stay as they are.
    const params = filtersToSearch(next);
    for (const [key, value] of searchParams) if (!filterParams.has(key)) params.set(key, value);
    setSearchParams(params);
  };
  const filtered = isFiltered(filters);
  const exports = (
    <div className="export-group" aria-label="Export">
      <span className="export-label">Export</span>
      <ExportButton scope={scope} filters={filters} format="csv" now={query.dataUpdatedAt} />
      <ExportButton scope={scope} filters={filters} format="jsonl" now={query.dataUpdatedAt} />
    </div>
  );

  return (
    <div className={header ? 'page' : 'stack'} data-testid="audit-page">
      {header ? (
        <PageHeader eyebrow={eyebrow} title={title} description={description} actions={exports} />
      ) : (
        <div className="subheader">
          <p className="muted">{description}</p>
          {exports}
        </div>
      )}
      {/* Keyed by the URL: an actor chip or the back button resets the form to what is applied. */}
      <FilterBar key={searchParams.toString()} filters={filters} onApply={apply} />

      {query.isPending ? (
        <TableSkeleton rows={4} />
      ) : query.error && events.length === 0 ? (
        <ErrorState
          error={query.error}
          heading="Could not load the audit log"
          onRetry={() => void query.refetch()}
          retrying={query.isFetching}
          testId="audit-error"
        />
      ) : events.length === 0 ? (
        <div className="empty" data-testid="audit-empty">
          <div className="empty-title">{filtered ? 'No events match these filters' : 'No events yet'}</div>
          <p>
            {filtered
              ? 'Try a shorter action prefix, another actor or target, or a wider time range.'
              : 'Actions — sign-ins, role changes, exports — will appear here as they happen.'}
          </p>
        </div>
      ) : (
        <Card className="panel-flush">
          <table className="table audit-table" data-testid="audit-table">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Action</th>
                <th scope="col">Actor</th>
                <th scope="col">Target</th>
                <th scope="col" className="align-right">
                  <span className="visually-hidden">Details</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {events.map((event) => (
                <EventRow
                  key={event.id}
                  event={event}
                  me={me}
                  onFilterActor={(actor) => apply({ ...filters, actor })}
                  onFilterTarget={(targetType, targetId) => apply({ ...filters, targetType, targetId })}
                />
              ))}
            </tbody>
          </table>
          <TableFooter
            summary={`Showing ${pluralise(events.length, 'event')}${query.hasNextPage ? '' : ' — the whole log for these filters'}`}
            summaryTestId="audit-count"
            query={query}
            loadMoreTestId="audit-load-more"
          />
        </Card>
      )}
    </div>
  );
}

export function AuditLogPage() {
  const { orgId = '' } = useParams();
  const { data: me } = useQuery(meQuery);
  if (!me) return <PageSkeleton />;
  const membership = me.memberships.find((candidate) => candidate.orgId === orgId);
  if (!membership) return <OrganisationNotFound testId="audit-no-access" />;
  if (!roleHasPermission(membership.role, 'audit:read')) {
    return (
      <RestrictedPage
        membership={membership}
        title="Audit log"
        heading="Only organisation admins can read the audit log"
        reason="The audit log can include sign-in details of every member, so it’s limited to admins."
        testId="audit-forbidden"
      />
    );
  }
  return (
    <AuditLog
      key={orgId}
      me={me}
      scope={{ kind: 'org', orgId }}
      eyebrow={membership.orgName}
      description="A tamper-evident record of what happens in this organisation: who did what, when and from where. Newest first."
    />
  );
}
