import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import type { MeResponse } from '../../contracts/identity.ts';
import {
  AlertIcon,
  ArrowRightIcon,
  BuildingIcon,
  CodeIcon,
  CpuIcon,
  DatabaseIcon,
  GaugeIcon,
  KeyIcon,
  LayersIcon,
  PlugIcon,
  ScrollIcon,
  ServerIcon,
  ShieldCheckIcon,
  ShieldIcon,
  SignatureIcon,
  UsersIcon,
  SettingsIcon,
} from '../components/icons.tsx';
import { PendingInvitationsBanner } from './InvitationsPage.tsx';
import { Badge, ErrorState, PageHeader, Section, Skeleton } from '../components/ui.tsx';
import { formatUptime } from '../lib/format.ts';
import { databaseKindLabel, migrationsLabel } from '../lib/health.ts';
import { meQuery, mfaStatusQuery, statusQuery } from '../lib/queries.ts';

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

const roadmap: {
  icon: ReactNode;
  title: string;
  description: string;
  stage: 'Available' | 'In progress' | 'Planned';
}[] = [
  {
    icon: <KeyIcon />,
    title: 'Identity & sign-in',
    description: 'Accounts, two-step verification, sessions you can review and an audit log for every organisation.',
    stage: 'Available',
  },
  {
    icon: <UsersIcon />,
    title: 'Organisations & roles',
    description: 'Isolated workspaces per organisation, with roles that decide who can see and change what.',
    stage: 'Available',
  },
  {
    icon: <SignatureIcon />,
    title: 'Signed webhooks',
    description: 'Send Vigil’s events to your own systems, each delivery signed so you can verify it came from Vigil.',
    stage: 'Available',
  },
  {
    icon: <PlugIcon />,
    title: 'Integrations',
    description: 'Connect your CRM, calendar and Slack so Vigil can read the signals around each deal.',
    stage: 'Planned',
  },
  {
    icon: <GaugeIcon />,
    title: 'Deal risk scores',
    description: 'A risk score on every open deal, with the signals that moved it, so nothing slips quietly.',
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

const roleLabels: Record<MeResponse['memberships'][number]['role'], string> = {
  org_admin: 'Admin',
  builder: 'Builder',
  viewer: 'Viewer',
};

function firstName(me: MeResponse): string {
  const name = me.displayName?.trim();
  if (name) return name.split(/\s+/)[0] ?? name;
  return me.email.split('@')[0] ?? me.email;
}

function Organisations({ me }: { me: MeResponse }) {
  if (me.memberships.length === 0) {
    return (
      <div className="empty empty-left" data-testid="overview-no-orgs">
        <span className="empty-icon">
          <BuildingIcon size={20} />
        </span>
        <div>
          <div className="empty-title">You’re not in an organisation yet</div>
          <p>
            Vigil keeps each company’s deals in its own organisation. When an administrator adds you to one, it appears
            here with everything you can see in it.
          </p>
        </div>
      </div>
    );
  }
  return (
    <ul className="org-list" data-testid="overview-orgs">
      {me.memberships.map((membership) => (
        <li key={membership.orgId} className="org-item" data-testid="overview-org">
          <span className="org-avatar" aria-hidden="true">
            {membership.orgName.slice(0, 1).toUpperCase()}
          </span>
          <div className="org-text">
            <div className="org-name">{membership.orgName}</div>
            <div className="org-id mono">{membership.orgId}</div>
          </div>
          <Badge tone={membership.role === 'org_admin' ? 'accent' : 'neutral'}>{roleLabels[membership.role]}</Badge>
          <Link to={`/orgs/${membership.orgId}/settings`} className="button button-secondary button-sm">
            <SettingsIcon size={13} />
            Settings
          </Link>
          {membership.role === 'org_admin' ? (
            <Link to={`/orgs/${membership.orgId}/audit`} className="button button-secondary button-sm">
              <ScrollIcon size={13} />
              Audit log
            </Link>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

function SecurityNudge() {
  const { data } = useQuery(mfaStatusQuery);
  if (!data || data.totp === 'on') return null;
  return (
    <div className="callout callout-action" data-testid="overview-mfa-nudge">
      <div>
        <div className="callout-title">Turn on two-step verification</div>
        <p>
          Signing in takes a single step today. Add a code from an authenticator app so a leaked password or provider
          account isn’t enough to get in — it takes about a minute.
        </p>
      </div>
      <Link to="/account/security" className="button button-primary">
        <ShieldCheckIcon size={15} />
        Secure my account
      </Link>
    </div>
  );
}

function SignedInIntro({ me }: { me: MeResponse }) {
  return (
    <>
      <PageHeader
        eyebrow="Welcome back"
        title={<span data-testid="overview-greeting">Hello, {firstName(me)}</span>}
        description={
          <>
            Signed in as <strong>{me.email}</strong>. Here’s where your workspace stands.
          </>
        }
        actions={
          <Link to="/account/security" className="button button-secondary">
            <ShieldIcon size={14} />
            Account security
          </Link>
        }
      />
      <PendingInvitationsBanner />
      <SecurityNudge />
      <Section
        title="Your organisations"
        description="Where you’re a member, and your role in each."
        id="organisations"
      >
        <Organisations me={me} />
      </Section>
    </>
  );
}

function AnonymousIntro() {
  return (
    <>
      <PageHeader
        eyebrow="Welcome"
        title="Vigil watches your pipeline so deals don’t slip quietly"
        description="Vigil monitors deal risk for revenue teams. It reads the signals around each deal from your CRM, calendar and Slack, scores how likely it is to slip, and tells you — and your systems — when that changes."
        actions={
          <>
            <Link to="/sign-in" className="button button-secondary" data-testid="overview-sign-in">
              Sign in
            </Link>
            <Link to="/sign-up" className="button button-primary" data-testid="overview-sign-up">
              Create account
            </Link>
          </>
        }
      />

      <div className="callout" data-testid="overview-callout">
        <div className="callout-title">Early access</div>
        <p>
          Accounts, organisations with their roles and audit log, and signed webhooks are live; the platform’s health
          and API are below. Integrations with your CRM, calendar and Slack, and the deal risk scores they feed, come
          next. Nothing on these pages is sample data.
        </p>
      </div>
    </>
  );
}

export function OverviewPage() {
  const { data: me, isPending } = useQuery(meQuery);
  return (
    <div className="page" data-testid="overview-page">
      {isPending ? (
        <div className="skeleton-stack" aria-busy="true">
          <Skeleton width="sm" />
          <Skeleton width="lg" tall />
          <Skeleton width="md" />
        </div>
      ) : me ? (
        <SignedInIntro me={me} />
      ) : (
        <AnonymousIntro />
      )}

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
              <Badge
                tone={item.stage === 'Available' ? 'success' : item.stage === 'In progress' ? 'accent' : 'neutral'}
                dot={item.stage !== 'Planned'}
              >
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
