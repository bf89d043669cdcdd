import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import type { Status } from '../../contracts/status.ts';
import {
  AlertIcon,
  CheckCircleIcon,
  ClockIcon,
  DatabaseIcon,
  LayersIcon,
  RefreshIcon,
  ServerIcon,
  XCircleIcon,
} from '../components/icons.tsx';
import { Badge, Card, ErrorState, KeyValue, PageHeader, Skeleton } from '../components/ui.tsx';
import { formatDateTime, formatRelative, formatTime, formatUptime, pluralise } from '../lib/format.ts';
import { databaseKindLabel, migrationsLabel, profileTone, summariseHealth } from '../lib/health.ts';
import { statusQuery } from '../lib/queries.ts';

function PanelHeader({ icon, title, aside }: { icon: ReactNode; title: string; aside?: ReactNode }) {
  return (
    <div className="panel-header">
      <span className="panel-icon">{icon}</span>
      <h3 className="panel-title">{title}</h3>
      {aside ? <span className="panel-aside">{aside}</span> : null}
    </div>
  );
}

function HealthBanner({ status, checkedAt }: { status: Status; checkedAt: number }) {
  const health = summariseHealth(status);
  const Icon = health.tone === 'success' ? CheckCircleIcon : health.tone === 'warning' ? AlertIcon : XCircleIcon;
  return (
    <div className={`banner banner-${health.tone}`} data-testid="status-summary">
      <Icon size={20} />
      <div className="banner-text">
        <div className="banner-title">{health.label}</div>
        <div className="banner-detail">{health.detail}</div>
      </div>
      <div className="banner-meta">Checked at {formatTime(checkedAt)}</div>
    </div>
  );
}

function ServerPanel({ status }: { status: Status }) {
  return (
    <Card className="panel">
      <PanelHeader
        icon={<ServerIcon />}
        title="API server"
        aside={<Badge tone={profileTone[status.profile]}>{status.profile}</Badge>}
      />
      <dl className="kv-list">
        <KeyValue label="Version" testId="status-version">
          <span className="mono">{status.version}</span>
        </KeyValue>
        <KeyValue label="Profile" testId="status-profile">
          {status.profile}
        </KeyValue>
        <KeyValue label="Uptime" testId="status-uptime">
          <span title={`${Math.floor(status.uptimeSeconds)} seconds`}>{formatUptime(status.uptimeSeconds)}</span>
        </KeyValue>
        <KeyValue label="Server time" testId="status-server-time">
          <time dateTime={status.serverTime} title={status.serverTime}>
            {formatDateTime(status.serverTime)}
          </time>
        </KeyValue>
        <KeyValue label="Background worker" testId="status-worker">
          {status.worker.inProcess ? 'In-process' : 'Separate process'}
        </KeyValue>
      </dl>
    </Card>
  );
}

function DatabasePanel({ status }: { status: Status }) {
  const { database } = status;
  return (
    <Card className="panel">
      <PanelHeader
        icon={<DatabaseIcon />}
        title="Database"
        aside={
          <Badge tone={database.reachable ? 'success' : 'danger'} dot testId="status-database-reachable">
            {database.reachable ? 'Reachable' : 'Unreachable'}
          </Badge>
        }
      />
      <dl className="kv-list">
        <KeyValue label="Kind" testId="status-database-kind">
          {databaseKindLabel(database.kind)}
        </KeyValue>
        <KeyValue label="Runs">
          {database.kind === 'pglite' ? 'Embedded in the API process' : 'External database server'}
        </KeyValue>
        <KeyValue label="Connection" testId="status-database-connection">
          {database.reachable ? 'Answered the status check' : 'Did not answer the status check'}
        </KeyValue>
        <KeyValue label="Server version" testId="status-database-version">
          {database.serverVersion ? (
            <span className="mono">{database.serverVersion}</span>
          ) : (
            <span className="muted">Unknown</span>
          )}
        </KeyValue>
      </dl>
    </Card>
  );
}

function MigrationsPanel({ status }: { status: Status }) {
  const { applied, pending } = status.migrations;
  const summary = migrationsLabel(status);
  const now = Date.parse(status.serverTime);
  const rows = [...applied].sort((a, b) => b.appliedAt.localeCompare(a.appliedAt) || b.name.localeCompare(a.name));
  return (
    <Card className="panel panel-flush">
      <div className="panel-pad">
        <PanelHeader
          icon={<LayersIcon />}
          title="Schema migrations"
          aside={
            <Badge tone={summary.tone} dot testId="status-migrations">
              {summary.label}
            </Badge>
          }
        />
        <p className="panel-note">
          {pluralise(applied.length, 'migration')} applied
          {pending.length > 0 ? `, ${pluralise(pending.length, 'migration')} waiting to run` : ''}.
        </p>
      </div>
      {applied.length === 0 && pending.length === 0 ? (
        <div className="empty-row">No migrations have been applied yet.</div>
      ) : (
        <table className="table" data-testid="status-migrations-table">
          <thead>
            <tr>
              <th scope="col">Migration</th>
              <th scope="col">State</th>
              <th scope="col" className="align-right">
                Applied
              </th>
            </tr>
          </thead>
          <tbody>
            {pending.map((name) => (
              <tr key={`pending-${name}`} data-testid="migration-row" data-state="pending">
                <td className="mono">{name}</td>
                <td>
                  <Badge tone="warning" dot>
                    Pending
                  </Badge>
                </td>
                <td className="align-right muted">—</td>
              </tr>
            ))}
            {rows.map((migration) => (
              <tr key={migration.name} data-testid="migration-row" data-state="applied">
                <td className="mono">{migration.name}</td>
                <td>
                  <Badge tone="success" dot>
                    Applied
                  </Badge>
                </td>
                <td className="align-right">
                  <time dateTime={migration.appliedAt} title={formatDateTime(migration.appliedAt)}>
                    {formatDateTime(migration.appliedAt)}
                  </time>
                  <span className="table-sub">{formatRelative(migration.appliedAt, now)}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

function StatusSkeleton() {
  return (
    <div className="status-grid" aria-busy="true" data-testid="status-loading">
      <div className="banner banner-neutral">
        <ClockIcon size={20} />
        <div className="banner-text">
          <div className="banner-title">Checking system status…</div>
          <div className="banner-detail">Asking the server for its current state.</div>
        </div>
      </div>
      <div className="panel-grid">
        {['server', 'database'].map((key) => (
          <Card className="panel" key={key}>
            <Skeleton width="md" />
            <div className="skeleton-stack">
              <Skeleton width="full" />
              <Skeleton width="lg" />
              <Skeleton width="full" />
            </div>
          </Card>
        ))}
      </div>
    </div>
  );
}

export function StatusPage() {
  const { data, error, isPending, isFetching, refetch, dataUpdatedAt } = useQuery(statusQuery);

  const refresh = (
    <button
      type="button"
      className="button button-secondary"
      onClick={() => void refetch()}
      disabled={isFetching}
      data-testid="status-refresh"
    >
      <RefreshIcon size={14} className={isFetching ? 'spin' : undefined} />
      {isFetching ? 'Refreshing…' : 'Refresh'}
    </button>
  );

  return (
    <div className="page" data-testid="status-page">
      <PageHeader
        title="System status"
        description="The live state of this Vigil server: what it’s running, the database behind it and whether its schema is current. Refreshes every 30 seconds."
        actions={refresh}
      />
      {isPending ? (
        <StatusSkeleton />
      ) : !data ? (
        <ErrorState error={error} heading="Could not load system status" testId="status-error" />
      ) : (
        <div className="status-grid">
          {error ? (
            <ErrorState
              error={error}
              heading="Last refresh failed — showing the previous result"
              testId="status-error"
            />
          ) : null}
          <HealthBanner status={data} checkedAt={dataUpdatedAt} />
          <div className="panel-grid">
            <ServerPanel status={data} />
            <DatabasePanel status={data} />
          </div>
          <MigrationsPanel status={data} />
        </div>
      )}
    </div>
  );
}
