import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { MeResponse } from '../../contracts/identity.ts';
import type { AdminOrganisationView, AdminUserView } from '../../contracts/organisations.ts';
import { ConfirmDialog } from '../components/ConfirmDialog.tsx';
import { Alert } from '../components/forms.tsx';
import {
  ArrowLeftIcon,
  BanIcon,
  BuildingIcon,
  EyeIcon,
  LogOutIcon,
  ScrollIcon,
  SearchIcon,
  UsersIcon,
} from '../components/icons.tsx';
import { PageSkeleton } from '../components/RequireAuth.tsx';
import { useStepUp } from '../components/StepUp.tsx';
import { TableFooter } from '../components/TableFooter.tsx';
import { Badge, Card, ErrorState, PageHeader, TableSkeleton } from '../components/ui.tsx';
import { formatDateTime, formatRelative, pluralise } from '../lib/format.ts';
import {
  adminOrganisationsQuery,
  adminUsersQuery,
  setOrganisationSuspended,
  setUserSuspended,
  signUserOut,
} from '../lib/organisations.ts';
import { ACCOUNT_KEY, meQuery } from '../lib/queries.ts';
import { AuditLog } from './AuditLogPage.tsx';

const tabs = {
  organisations: { label: 'Organisations', icon: <BuildingIcon size={15} /> },
  users: { label: 'Users', icon: <UsersIcon size={15} /> },
  audit: { label: 'Platform audit', icon: <ScrollIcon size={15} /> },
} as const;
type Tab = keyof typeof tabs;

function isTab(value: string | null): value is Tab {
  return value !== null && Object.hasOwn(tabs, value);
}

/** What a confirmation dialog is about to do. */
type PendingAction =
  | { kind: 'organisation'; organisation: AdminOrganisationView; suspend: boolean }
  | { kind: 'user'; user: AdminUserView; suspend: boolean }
  | { kind: 'sign-out'; user: AdminUserView };

function describe(action: PendingAction): {
  title: string;
  description: string;
  confirm: string;
  needsReason: boolean;
} {
  switch (action.kind) {
    case 'organisation':
      return action.suspend
        ? {
            title: `Suspend ${action.organisation.name}?`,
            description: 'No member can use the organisation until it is unsuspended: their next request is refused.',
            confirm: 'Suspend organisation',
            needsReason: true,
          }
        : {
            title: `Lift the suspension of ${action.organisation.name}?`,
            description: 'Its members can use it again straight away.',
            confirm: 'Unsuspend',
            needsReason: false,
          };
    case 'user':
      return action.suspend
        ? {
            title: `Suspend ${action.user.email}?`,
            description: 'Every session of this user ends at once, and they cannot sign in until unsuspended.',
            confirm: 'Suspend user',
            needsReason: true,
          }
        : {
            title: `Lift the suspension of ${action.user.email}?`,
            description: 'They can sign in again.',
            confirm: 'Unsuspend',
            needsReason: false,
          };
    case 'sign-out':
      return {
        title: `Sign ${action.user.email} out everywhere?`,
        description: `${pluralise(action.user.activeSessions, 'active session')} end at once. They can sign in again with their password.`,
        confirm: 'Sign out everywhere',
        needsReason: false,
      };
  }
}

async function perform(action: PendingAction, reason: string): Promise<void> {
  switch (action.kind) {
    case 'organisation':
      await setOrganisationSuspended(action.organisation.id, action.suspend, reason);
      return;
    case 'user':
      await setUserSuspended(action.user.id, action.suspend, reason);
      return;
    case 'sign-out':
      await signUserOut(action.user.id);
      return;
  }
}

function ConfirmActionDialog({
  action,
  onClose,
  onDone,
}: {
  action: PendingAction;
  onClose: () => void;
  onDone: (message: string) => void;
}) {
  const withStepUp = useStepUp();
  const queryClient = useQueryClient();
  const text = describe(action);
  const mutation = useMutation({
    mutationFn: (reason: string) => withStepUp(() => perform(action, reason)),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: [ACCOUNT_KEY, 'admin'] });
      onDone(
        action.kind === 'sign-out'
          ? `${action.user.email} was signed out everywhere.`
          : `${action.kind === 'organisation' ? action.organisation.name : action.user.email} is ${action.suspend ? 'suspended' : 'no longer suspended'}.`,
      );
    },
  });
  return (
    <ConfirmDialog
      title={text.title}
      description={text.description}
      testId="admin-confirm-dialog"
      reason={text.needsReason ? { hint: 'Recorded on the platform audit chain.', testId: 'admin-reason' } : undefined}
      confirmLabel={text.confirm}
      pendingLabel="Working…"
      confirmTestId="admin-confirm"
      pending={mutation.isPending}
      error={mutation.error}
      errorTestId="admin-action-error"
      onConfirm={({ reason }) => mutation.mutate(reason)}
      onClose={onClose}
    />
  );
}

function SearchBar({
  value,
  onSearch,
  placeholder,
}: {
  value: string;
  onSearch: (q: string) => void;
  placeholder: string;
}) {
  const [draft, setDraft] = useState(value);
  return (
    <form
      className="admin-search"
      role="search"
      onSubmit={(event) => {
        event.preventDefault();
        onSearch(draft.trim());
      }}
    >
      <label className="search search-wide">
        <SearchIcon size={14} />
        <input
          type="search"
          placeholder={placeholder}
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
          aria-label={placeholder}
          data-testid="admin-search"
        />
      </label>
      <button type="submit" className="button button-secondary" data-testid="admin-search-submit">
        Search
      </button>
    </form>
  );
}

/** Cursor pagination: a stack of the cursors of the pages before this one. */
export function usePages() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return {
    cursor: cursors.at(-1) ?? null,
    page: cursors.length,
    next: (cursor: string) => setCursors((stack) => [...stack, cursor]),
    previous: () => setCursors((stack) => (stack.length > 1 ? stack.slice(0, -1) : stack)),
    reset: () => setCursors([null]),
  };
}

function Organisations({ onAction }: { onAction: (action: PendingAction) => void }) {
  const [q, setQ] = useState('');
  const pages = usePages();
  const query = useQuery({ ...adminOrganisationsQuery(q, pages.cursor), placeholderData: keepPreviousData });
  return (
    <div className="stack" data-testid="admin-organisations">
      <SearchBar
        value={q}
        placeholder="Search by name or slug"
        onSearch={(value) => {
          setQ(value);
          pages.reset();
        }}
      />
      {query.isPending ? (
        <TableSkeleton />
      ) : query.error ? (
        <ErrorState
          error={query.error}
          heading="Could not load organisations"
          onRetry={() => void query.refetch()}
          retrying={query.isFetching}
        />
      ) : query.data.items.length === 0 ? (
        <div className="empty">
          <div className="empty-title">{q ? `No organisations match “${q}”` : 'No organisations yet'}</div>
          <p>
            {q ? 'Search matches the start of names and slugs.' : 'Organisations appear here as people create them.'}
          </p>
        </div>
      ) : (
        <Card className="panel-flush">
          <table className="table" data-testid="admin-organisations-table">
            <thead>
              <tr>
                <th scope="col">Organisation</th>
                <th scope="col">Members</th>
                <th scope="col">Created</th>
                <th scope="col">Status</th>
                <th scope="col">Support access</th>
                <th scope="col" className="align-right">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {query.data.items.map((organisation) => (
                <tr key={organisation.id} data-testid="admin-organisation-row" data-name={organisation.name}>
                  <td>
                    <div className="strong">
                      {organisation.name} {organisation.isDemo ? <Badge>Demo</Badge> : null}
                    </div>
                    <span className="table-sub mono" title={organisation.id}>
                      {organisation.slug}
                    </span>
                  </td>
                  <td>{organisation.memberCount}</td>
                  <td>
                    <time dateTime={organisation.createdAt} title={formatDateTime(organisation.createdAt)}>
                      {formatRelative(organisation.createdAt)}
                    </time>
                  </td>
                  <td>
                    {organisation.suspended ? (
                      <Badge tone="danger" dot testId="admin-organisation-status">
                        Suspended
                      </Badge>
                    ) : (
                      <Badge tone="success" dot testId="admin-organisation-status">
                        Active
                      </Badge>
                    )}
                    {organisation.suspendedAt ? (
                      <span className="table-sub">since {formatDateTime(organisation.suspendedAt)}</span>
                    ) : null}
                  </td>
                  <td data-testid="admin-organisation-support">
                    {organisation.supportAccess ? (
                      <>
                        <Badge tone="warning" dot>
                          Granted
                        </Badge>
                        <span className="table-sub">
                          until{' '}
                          <time dateTime={organisation.supportAccess.expiresAt}>
                            {formatDateTime(organisation.supportAccess.expiresAt)}
                          </time>
                        </span>
                      </>
                    ) : (
                      <span className="muted small">Not granted</span>
                    )}
                  </td>
                  <td className="align-right">
                    <div className="inline-actions inline-actions-end">
                      {organisation.supportAccess ? (
                        <Link
                          to={`/admin/organisations/${encodeURIComponent(organisation.id)}/support`}
                          className="button button-secondary button-sm"
                          data-testid="admin-organisation-support-open"
                        >
                          <EyeIcon size={13} />
                          View deals
                        </Link>
                      ) : null}
                      <button
                        type="button"
                        className={`button button-sm ${organisation.suspended ? 'button-secondary' : 'button-danger-outline'}`}
                        onClick={() =>
                          onAction({ kind: 'organisation', organisation, suspend: !organisation.suspended })
                        }
                        data-testid="admin-organisation-toggle"
                      >
                        {organisation.suspended ? 'Unsuspend' : 'Suspend'}
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <TableFooter
            summary={`Page ${pages.page} · ${pluralise(query.data.items.length, 'organisation')}`}
            pages={{
              page: pages.page,
              nextCursor: query.data.nextCursor,
              onNext: pages.next,
              onPrevious: pages.previous,
              testIdPrefix: 'admin',
            }}
          />
        </Card>
      )}
    </div>
  );
}

function Users({ me, onAction }: { me: MeResponse; onAction: (action: PendingAction) => void }) {
  const [q, setQ] = useState('');
  const pages = usePages();
  const query = useQuery({ ...adminUsersQuery(q, pages.cursor), placeholderData: keepPreviousData });
  return (
    <div className="stack" data-testid="admin-users">
      <SearchBar
        value={q}
        placeholder="Search by email"
        onSearch={(value) => {
          setQ(value);
          pages.reset();
        }}
      />
      {query.isPending ? (
        <TableSkeleton />
      ) : query.error ? (
        <ErrorState
          error={query.error}
          heading="Could not load users"
          onRetry={() => void query.refetch()}
          retrying={query.isFetching}
        />
      ) : query.data.items.length === 0 ? (
        <div className="empty">
          <div className="empty-title">{q ? `No users match “${q}”` : 'No users yet'}</div>
          <p>{q ? 'Search matches email addresses.' : 'Accounts appear here as people sign up.'}</p>
        </div>
      ) : (
        <Card className="panel-flush">
          <table className="table" data-testid="admin-users-table">
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Security</th>
                <th scope="col">Sessions</th>
                <th scope="col">Status</th>
                <th scope="col" className="align-right">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {query.data.items.map((user) => {
                const self = user.id === me.id;
                return (
                  <tr key={user.id} data-testid="admin-user-row" data-email={user.email}>
                    <td>
                      <div className="strong">
                        {user.email} {user.platformAdmin ? <Badge tone="accent">Platform admin</Badge> : null}
                      </div>
                      <span className="table-sub">
                        {user.displayName ?? 'No name'} · joined {formatRelative(user.createdAt)}
                      </span>
                    </td>
                    <td>
                      <div className="badge-row">
                        <Badge tone={user.mfaEnabled ? 'success' : 'warning'} dot>
                          {user.mfaEnabled ? 'MFA on' : 'MFA off'}
                        </Badge>
                        {user.emailVerified ? null : <Badge tone="warning">Unverified</Badge>}
                      </div>
                    </td>
                    <td>{user.activeSessions}</td>
                    <td>
                      {user.suspendedAt ? (
                        <Badge tone="danger" dot testId="admin-user-status">
                          Suspended
                        </Badge>
                      ) : (
                        <Badge tone="success" dot testId="admin-user-status">
                          Active
                        </Badge>
                      )}
                    </td>
                    <td className="align-right">
                      {self ? (
                        <span className="muted small">You</span>
                      ) : (
                        <div className="inline-actions inline-actions-end">
                          <button
                            type="button"
                            className="button button-secondary button-sm"
                            onClick={() => onAction({ kind: 'sign-out', user })}
                            disabled={user.activeSessions === 0}
                            data-testid="admin-user-sign-out"
                          >
                            <LogOutIcon size={13} />
                            Sign out
                          </button>
                          <button
                            type="button"
                            className={`button button-sm ${user.suspendedAt ? 'button-secondary' : 'button-danger-outline'}`}
                            onClick={() => onAction({ kind: 'user', user, suspend: !user.suspendedAt })}
                            data-testid="admin-user-toggle"
                          >
                            {user.suspendedAt ? 'Unsuspend' : 'Suspend'}
                          </button>
                        </div>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <TableFooter
            summary={`Page ${pages.page} · ${pluralise(query.data.items.length, 'user')}`}
            pages={{
              page: pages.page,
              nextCursor: query.data.nextCursor,
              onNext: pages.next,
              onPrevious: pages.previous,
              testIdPrefix: 'admin',
            }}
          />
        </Card>
      )}
    </div>
  );
}

function AdminConsole({ me }: { me: MeResponse }) {
  const [searchParams, setSearchParams] = useSearchParams();
  const tabParam = searchParams.get('tab');
  const tab: Tab = isTab(tabParam) ? tabParam : 'organisations';
  const [action, setAction] = useState<PendingAction | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <div className="page" data-testid="admin-console">
      <PageHeader
        eyebrow="Platform administration"
        title="Admin console"
        description="Organisations and users across this Vigil installation. You see platform metadata only — an organisation’s deals only while its admins grant support access, its secrets never. Every action is audited and needs a fresh second factor."
      />
      <nav className="tabs" aria-label="Admin console sections">
        {(Object.keys(tabs) as Tab[]).map((key) => (
          <button
            key={key}
            type="button"
            className={`tab${tab === key ? ' is-active' : ''}`}
            aria-current={tab === key ? 'page' : undefined}
            onClick={() => {
              setNotice(null);
              setSearchParams(key === 'organisations' ? {} : { tab: key });
            }}
            data-testid={`admin-tab-${key}`}
          >
            {tabs[key].icon}
            {tabs[key].label}
          </button>
        ))}
      </nav>
      {notice ? (
        <Alert tone="success" testId="admin-notice">
          {notice}
        </Alert>
      ) : null}
      {tab === 'organisations' ? <Organisations onAction={setAction} /> : null}
      {tab === 'users' ? <Users me={me} onAction={setAction} /> : null}
      {tab === 'audit' ? (
        <AuditLog
          me={me}
          scope={{ kind: 'platform' }}
          header={false}
          description="The platform chain: organisations created and deleted, suspensions, platform admin actions. Tamper-evident, newest first."
        />
      ) : null}
      {action ? (
        <ConfirmActionDialog
          action={action}
          onClose={() => setAction(null)}
          onDone={(message) => {
            setAction(null);
            setNotice(message);
          }}
        />
      ) : null}
    </div>
  );
}

export function AdminConsolePage() {
  const { data: me } = useQuery(meQuery);
  if (!me) return <PageSkeleton />;
  if (!me.platformAdmin) {
    return (
      <div className="centered-state" data-testid="admin-forbidden">
        <div className="centered-code">
          <BanIcon size={28} />
        </div>
        <h1 className="centered-title">Platform administrators only</h1>
        <p className="centered-text">
          The admin console manages every organisation on this installation, so it’s limited to platform administrators.
        </p>
        <div className="centered-actions">
          <Link to="/" className="button button-primary">
            <ArrowLeftIcon size={14} />
            Back to overview
          </Link>
        </div>
      </div>
    );
  }
  return <AdminConsole me={me} />;
}
