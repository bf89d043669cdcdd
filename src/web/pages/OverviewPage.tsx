import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import {
  AlertIcon,
  ArrowRightIcon,
  CodeIcon,
  CpuIcon,
  DatabaseIcon,
  GaugeIcon,
  KeyIcon,
  LayersIcon,
  PlugIcon,
  ServerIcon,
  SignatureIcon,
  UsersIcon,
} from '../components/icons.tsx';
import { Badge, ErrorState, PageHeader, Section, Skeleton } from '../components/ui.tsx';
import { formatUptime } from '../lib/format.ts';
import { databaseKindLabel, migrationsLabel } from '../lib/health.ts';
import { statusQuery } from '../lib/queries.ts';

function HealthTile({
  icon,
  label,
  value,
  meta,
  testId,
}: {
  icon: ReactNode;
  label: string;
  value: ReactNode;
  meta?: ReactNode;
  testId?: string;
}) {
  return (
    <div className="tile">
      <div className="tile-head">
        <span className="tile-icon">{icon}</span>
        <span className="tile-label">{label}</span>
      </div>
      <div className="tile-value" data-testid={testId}>
        {value}
      </div>
      {meta ? <div className="tile-meta">{meta}</div> : null}
    </div>
  );
}

function HealthTiles() {
  const { data, error, isPending, refetch, isFetching } = useQuery(statusQuery);
  if (isPending) {
    return (
      <div className="tile-grid" aria-busy="true">
        {['api', 'db', 'migrations', 'worker'].map((key) => (
          <div className="tile" key={key}>
            <Skeleton width="sm" />
            <Skeleton width="md" tall />
            <Skeleton width="lg" />
          </div>
        ))}
      </div>
    );
  }
  if (error) {
    return <ErrorState error={error} heading="System health" onRetry={() => void refetch()} retrying={isFetching} />;
  }
  const migrations = migrationsLabel(data);
  return (
    <div className="tile-grid">
      <HealthTile
        icon={<ServerIcon />}
        label="API server"
        value={<span className="mono">v{data.version}</span>}
        meta={
          <>
            {data.profile} · up {formatUptime(data.uptimeSeconds)}
          </>
        }
        testId="overview-version"
      />
      <HealthTile
        icon={<DatabaseIcon />}
        label="Database"
        value={databaseKindLabel(data.database.kind)}
        meta={
          data.database.reachable ? (
            <Badge tone="success" dot>
              Reachable
            </Badge>
          ) : (
            <Badge tone="danger" dot>
              Unreachable
            </Badge>
          )
        }
        testId="overview-database-kind"
      />
      <HealthTile
        icon={<LayersIcon />}
        label="Schema migrations"
        value={
          <Badge tone={migrations.tone} dot>
            {migrations.label}
          </Badge>
        }
        meta={<>{data.migrations.applied.length} applied</>}
        testId="overview-migrations"
      />
      <HealthTile
        icon={<CpuIcon />}
        label="Background worker"
        value={data.worker.inProcess ? 'In-process' : 'Separate process'}
        meta={data.worker.inProcess ? 'Runs inside the API server' : 'Runs alongside the API server'}
        testId="overview-worker"
      />
    </div>
  );
}

function HealthSectionActions() {
  return (
    <Link to="/status" className="link-arrow">
      Full status <ArrowRightIcon size={14} />
    </Link>
  );
}

const roadmap: { icon: ReactNode; title: string; description: string; stage: 'In progress' | 'Planned' }[] = [
  {
    icon: <KeyIcon />,
    title: 'Identity & sign-in',
    description: 'Accounts, sessions and sign-in for everyone on your revenue team.',
    stage: 'In progress',
  },
  {
    icon: <UsersIcon />,
    title: 'Organisations & roles',
    description: 'Isolated workspaces per organisation, with roles that decide who can see and change what.',
    stage: 'In progress',
  },
  {
    icon: <PlugIcon />,
    title: 'Integrations',
    description: 'Connect your CRM, calendar and Slack so Vigil can read the signals around each deal.',
    stage: 'In progress',
  },
  {
    icon: <GaugeIcon />,
    title: 'Deal risk scores',
    description: 'A risk score on every open deal, with the signals that moved it, so nothing slips quietly.',
    stage: 'Planned',
  },
  {
    icon: <SignatureIcon />,
    title: 'Signed webhooks',
    description: 'Push risk changes to your own systems, each delivery signed so you can verify it came from Vigil.',
    stage: 'Planned',
  },
];

const available: { to: string; icon: ReactNode; title: string; description: string }[] = [
  {
    to: '/status',
    icon: <ServerIcon />,
    title: 'System status',
    description: 'Server version, database, schema migrations and worker.',
  },
  {
    to: '/api-docs',
    icon: <CodeIcon />,
    title: 'API reference',
    description: 'Every endpoint, its permission, parameters and responses.',
  },
  {
    to: '/problems',
    icon: <AlertIcon />,
    title: 'Problem types',
    description: 'The error documents the API returns, and what each means.',
  },
];

export function OverviewPage() {
  return (
    <div className="page" data-testid="overview-page">
      <PageHeader
        eyebrow="Welcome"
        title="Vigil watches your pipeline so deals don’t slip quietly"
        description="Vigil monitors deal risk for revenue teams. It reads the signals around each deal from your CRM, calendar and Slack, scores how likely it is to slip, and tells you — and your systems — when that changes."
      />

      <div className="callout" data-testid="overview-callout">
        <div className="callout-title">Early access</div>
        <p>
          You’re looking at the foundation of Vigil. The platform is running — its health and API are below — and the
          product itself (identity, organisations and integrations) is being built now. Nothing on these pages is sample
          data.
        </p>
      </div>

      <Section
        title="System health"
        description="Live from this server, refreshed every 30 seconds."
        actions={<HealthSectionActions />}
        id="health"
      >
        <HealthTiles />
      </Section>

      <Section
        title="What’s being built"
        description="The next pieces of Vigil, in the order they’re landing."
        id="roadmap"
      >
        <ol className="roadmap">
          {roadmap.map((item) => (
            <li key={item.title} className="roadmap-item">
              <span className="roadmap-icon">{item.icon}</span>
              <div className="roadmap-text">
                <div className="roadmap-title">{item.title}</div>
                <p className="roadmap-description">{item.description}</p>
              </div>
              <Badge tone={item.stage === 'In progress' ? 'accent' : 'neutral'} dot={item.stage === 'In progress'}>
                {item.stage}
              </Badge>
            </li>
          ))}
        </ol>
      </Section>

      <Section title="Available today" id="available">
        <div className="link-cards">
          {available.map((item) => (
            <Link key={item.to} to={item.to} className="link-card">
              <span className="link-card-icon">{item.icon}</span>
              <span className="link-card-title">
                {item.title}
                <ArrowRightIcon size={14} className="link-card-arrow" />
              </span>
              <span className="link-card-description">{item.description}</span>
            </Link>
          ))}
        </div>
      </Section>
    </div>
  );
}
