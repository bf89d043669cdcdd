import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link, NavLink, Outlet, type UIMatch, useMatches } from 'react-router';
import type { MeResponse } from '../../contracts/identity.ts';
import { summariseHealth } from '../lib/health.ts';
import { can, currentOrganisationId, membershipOf, receivedInvitationsQuery } from '../lib/organisations.ts';
import { devOutboxAvailable, devOutboxQuery, meQuery, statusQuery } from '../lib/queries.ts';
import {
  ActivityIcon,
  AlertIcon,
  BuildingIcon,
  ChevronRightIcon,
  CodeIcon,
  HomeIcon,
  InboxIcon,
  LogInIcon,
  MailIcon,
  MonitorIcon,
  PlugIcon,
  ScrollIcon,
  SettingsIcon,
  ShieldIcon,
  UsersIcon,
  VigilMark,
} from './icons.tsx';
import { OrgSwitcher } from './OrgSwitcher.tsx';
import { StepUpProvider } from './StepUp.tsx';
import { UserMenu } from './UserMenu.tsx';

/** What a route puts in `handle` to appear in the top bar and the document title. */
export interface RouteHandle {
  crumb: string | ((params: Readonly<Record<string, string | undefined>>) => string);
}

function isRouteHandle(value: unknown): value is RouteHandle {
  return typeof value === 'object' && value !== null && 'crumb' in value;
}

export function useCrumbs(): { label: string; to: string }[] {
  const matches = useMatches() as UIMatch<unknown, unknown>[];
  const crumbs: { label: string; to: string }[] = [];
  for (const match of matches) {
    if (!isRouteHandle(match.handle)) continue;
    const { crumb } = match.handle;
    const label = typeof crumb === 'function' ? crumb(match.params) : crumb;
    if (crumbs.at(-1)?.label === label) continue;
    crumbs.push({ label, to: match.pathname });
  }
  return crumbs;
}

function NavItem({
  to,
  icon,
  children,
  testId,
  end = false,
  trailing,
}: {
  to: string;
  icon: ReactNode;
  children: ReactNode;
  testId: string;
  end?: boolean;
  trailing?: ReactNode;
}) {
  return (
    <NavLink
      to={to}
      end={end}
      className={({ isActive }) => `nav-link${isActive ? ' is-active' : ''}`}
      data-testid={testId}
    >
      <span className="nav-icon">{icon}</span>
      <span className="nav-label">{children}</span>
      {trailing}
    </NavLink>
  );
}

function StatusNavDot() {
  const { data, isError } = useQuery(statusQuery);
  if (isError) return <span className="dot dot-danger nav-trailing" title="Status unavailable" />;
  if (!data) return null;
  const health = summariseHealth(data);
  return <span className={`dot dot-${health.tone} nav-trailing`} title={health.label} />;
}

function ServerInfo() {
  const { data, isPending, isError } = useQuery(statusQuery);
  return (
    <div className="sidebar-server">
      <div className="sidebar-footer-label">Server</div>
      {isPending ? (
        <div className="sidebar-footer-value muted">Connecting…</div>
      ) : isError ? (
        <div className="sidebar-footer-value text-danger">Unavailable</div>
      ) : (
        <div className="sidebar-footer-value">
          <span className="mono">v{data.version}</span>
          <span className="sidebar-footer-sep" aria-hidden="true">
            ·
          </span>
          <span>{data.profile}</span>
        </div>
      )}
    </div>
  );
}

function SidebarFooter({ me, loading }: { me: MeResponse | null; loading: boolean }) {
  return (
    <div className="sidebar-footer" data-testid="sidebar-footer">
      {loading ? null : me ? (
        <UserMenu me={me} />
      ) : (
        <div className="sidebar-auth" data-testid="sidebar-signed-out">
          <Link to="/sign-in" className="button button-primary button-block button-sm" data-testid="sidebar-sign-in">
            <LogInIcon size={14} />
            Sign in
          </Link>
          <Link to="/sign-up" className="button button-secondary button-block button-sm" data-testid="sidebar-sign-up">
            Create account
          </Link>
        </div>
      )}
      <ServerInfo />
    </div>
  );
}

/** The dev mailbox, in the nav only when the server answers for it (development and test, from this machine). */
function useDevMailboxVisible(): boolean {
  const { data: status } = useQuery(statusQuery);
  const available = devOutboxAvailable(status?.profile);
  const { isSuccess } = useQuery({ ...devOutboxQuery, enabled: available });
  return available && isSuccess;
}

function TopBarHealth() {
  const { data, isPending, isError } = useQuery(statusQuery);
  if (isPending) {
    return (
      <span className="health-pill">
        <span className="dot dot-neutral" aria-hidden="true" />
        Checking…
      </span>
    );
  }
  if (isError) {
    return (
      <Link to="/status" className="health-pill health-pill-danger" data-testid="topbar-health">
        <AlertIcon size={13} />
        Status unavailable
      </Link>
    );
  }
  const health = summariseHealth(data);
  return (
    <Link to="/status" className={`health-pill health-pill-${health.tone}`} data-testid="topbar-health">
      <span className={`dot dot-${health.tone}`} aria-hidden="true" />
      {health.label}
    </Link>
  );
}

/** The organisation in the URL (`/orgs/:orgId/…`), if any. */
function useRouteOrgId(): string | undefined {
  const matches = useMatches();
  return matches.at(-1)?.params.orgId;
}

/** The active organisation's pages that the user's role allows (the server enforces regardless). */
function OrganisationNav({ me, orgId }: { me: MeResponse; orgId: string }) {
  const membership = membershipOf(me, orgId);
  if (!membership) return null;
  const base = `/orgs/${orgId}`;
  return (
    <div className="nav-group" data-testid="nav-org">
      <div className="nav-group-label">Organisation</div>
      {can(me, orgId, 'members:manage') ? (
        <NavItem to={`${base}/members`} icon={<UsersIcon />} testId="nav-members">
          Members
        </NavItem>
      ) : null}
      {can(me, orgId, 'org:read') ? (
        <NavItem to={`${base}/settings`} icon={<SettingsIcon />} testId="nav-org-settings">
          Settings
        </NavItem>
      ) : null}
      {can(me, orgId, 'webhooks:manage') ? (
        <NavItem to={`${base}/webhooks`} icon={<PlugIcon />} testId="nav-webhooks">
          Webhooks
        </NavItem>
      ) : null}
      {can(me, orgId, 'audit:read') ? (
        <NavItem to={`${base}/audit`} icon={<ScrollIcon />} testId="nav-audit">
          Audit log
        </NavItem>
      ) : null}
    </div>
  );
}

function InvitationsNavCount() {
  const { data } = useQuery(receivedInvitationsQuery);
  const count = data?.items.length ?? 0;
  if (count === 0) return null;
  return (
    <span className="nav-count nav-trailing" data-testid="nav-invitations-count">
      {count}
    </span>
  );
}

export function Sidebar() {
  const { data: me, isPending } = useQuery(meQuery);
  const devMailbox = useDevMailboxVisible();
  const currentOrgId = currentOrganisationId(me, useRouteOrgId());
  return (
    <aside className="sidebar" aria-label="Main">
      <div className="sidebar-inner">
        <Link to="/" className="brand" aria-label="Vigil home">
          <VigilMark size={26} />
          <span className="brand-name">Vigil</span>
        </Link>
        {me ? <OrgSwitcher me={me} currentOrgId={currentOrgId} /> : null}
        <nav className="nav">
          <div className="nav-group">
            <div className="nav-group-label">Workspace</div>
            <NavItem to="/" end icon={<HomeIcon />} testId="nav-overview">
              Overview
            </NavItem>
          </div>
          {me && currentOrgId ? <OrganisationNav me={me} orgId={currentOrgId} /> : null}
          {me ? (
            <div className="nav-group" data-testid="nav-account">
              <div className="nav-group-label">Account</div>
              <NavItem
                to="/invitations"
                icon={<MailIcon />}
                testId="nav-invitations"
                trailing={<InvitationsNavCount />}
              >
                Invitations
              </NavItem>
              <NavItem to="/account/security" icon={<ShieldIcon />} testId="nav-security">
                Security
              </NavItem>
              <NavItem to="/account/sessions" icon={<MonitorIcon />} testId="nav-sessions">
                Sessions
              </NavItem>
            </div>
          ) : null}
          {me?.platformAdmin ? (
            <div className="nav-group" data-testid="nav-admin">
              <div className="nav-group-label">Administration</div>
              <NavItem to="/admin" icon={<BuildingIcon />} testId="nav-admin-console">
                Admin console
              </NavItem>
            </div>
          ) : null}
          <div className="nav-group">
            <div className="nav-group-label">Platform</div>
            <NavItem to="/status" icon={<ActivityIcon />} testId="nav-status" trailing={<StatusNavDot />}>
              System status
            </NavItem>
            <NavItem to="/api-docs" icon={<CodeIcon />} testId="nav-api-docs">
              API reference
            </NavItem>
            <NavItem to="/problems" icon={<AlertIcon />} testId="nav-problems">
              Problem types
            </NavItem>
          </div>
          {devMailbox ? (
            <div className="nav-group">
              <div className="nav-group-label">Development</div>
              <NavItem to="/dev/mailbox" icon={<InboxIcon />} testId="nav-dev-mailbox">
                Dev mailbox
              </NavItem>
            </div>
          ) : null}
        </nav>
        <SidebarFooter me={me ?? null} loading={isPending} />
      </div>
    </aside>
  );
}

export function Layout() {
  const crumbs = useCrumbs();
  const title = crumbs.at(-1)?.label ?? 'Vigil';
  return (
    <StepUpProvider>
      <div className="app-shell" data-testid="app-shell">
        <title>{title === 'Vigil' ? 'Vigil' : `${title} · Vigil`}</title>
        <Sidebar />
        <div className="main">
          <header className="topbar">
            <nav aria-label="Breadcrumb" className="crumbs">
              <ol>
                {crumbs.map((crumb, index) => {
                  const last = index === crumbs.length - 1;
                  return (
                    <li key={crumb.to}>
                      {index > 0 ? <ChevronRightIcon size={14} className="crumb-sep" /> : null}
                      {last ? (
                        <span className="topbar-title" data-testid="page-title" aria-current="page">
                          {crumb.label}
                        </span>
                      ) : (
                        <Link to={crumb.to} className="crumb-link">
                          {crumb.label}
                        </Link>
                      )}
                    </li>
                  );
                })}
              </ol>
            </nav>
            <div className="topbar-actions">
              <TopBarHealth />
            </div>
          </header>
          <main className="content" id="content">
            <div className="content-inner">
              <Outlet />
            </div>
          </main>
        </div>
      </div>
    </StepUpProvider>
  );
}
