import type { ReactNode } from 'react';
import { Link, Outlet } from 'react-router';
import { ActivityIcon, ScrollIcon, ShieldCheckIcon, VigilMark } from './icons.tsx';
import { useCrumbs } from './Layout.tsx';

/** Where a sign-in may send the user afterwards: a path on this site, nothing else. */
export function safeNextPath(value: string | null | undefined): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  return value;
}

const assurances: { icon: ReactNode; title: string; text: string }[] = [
  {
    icon: <ShieldCheckIcon size={16} />,
    title: 'Two-step verification',
    text: 'Protect every account with an authenticator app and one-time recovery codes.',
  },
  {
    icon: <ActivityIcon size={16} />,
    title: 'Sessions you can see',
    text: 'Every signed-in device is listed, and you can end any of them in one click.',
  },
  {
    icon: <ScrollIcon size={16} />,
    title: 'Every action on the record',
    text: 'A tamper-evident audit log of who did what, exportable whenever you need it.',
  },
];

/** The standalone frame of the sign-in, sign-up and email-link pages. */
export function AuthLayout() {
  const crumbs = useCrumbs();
  const title = crumbs.at(-1)?.label;
  return (
    <div className="auth-shell" data-testid="auth-shell">
      <title>{title ? `${title} · Vigil` : 'Vigil'}</title>
      <div className="auth-main">
        <header className="auth-header">
          <Link to="/" className="brand" aria-label="Vigil home">
            <VigilMark size={26} />
            <span className="brand-name">Vigil</span>
          </Link>
        </header>
        <main className="auth-content" id="content">
          <Outlet />
        </main>
        <footer className="auth-footer">
          <span>Vigil</span>
          <span aria-hidden="true">·</span>
          <Link to="/status" className="auth-footer-link">
            System status
          </Link>
          <span aria-hidden="true">·</span>
          <Link to="/api-docs" className="auth-footer-link">
            API reference
          </Link>
        </footer>
      </div>
      <aside className="auth-aside" aria-label="About Vigil">
        <div className="auth-aside-inner">
          <div className="auth-aside-eyebrow">Deal-risk monitoring for revenue teams</div>
          <p className="auth-aside-title">Know which deals are slipping — before the quarter does.</p>
          <ul className="auth-assurances">
            {assurances.map((item) => (
              <li key={item.title} className="auth-assurance">
                <span className="auth-assurance-icon">{item.icon}</span>
                <div>
                  <div className="auth-assurance-title">{item.title}</div>
                  <p className="auth-assurance-text">{item.text}</p>
                </div>
              </li>
            ))}
          </ul>
        </div>
      </aside>
    </div>
  );
}

/** The card every auth page is built from. */
export function AuthCard({
  icon,
  tone = 'accent',
  title,
  subtitle,
  children,
  footer,
  wide = false,
  testId,
}: {
  icon?: ReactNode;
  /** The colour of the icon tile: success and failure pages say so at a glance. */
  tone?: 'accent' | 'success' | 'danger';
  title: ReactNode;
  subtitle?: ReactNode;
  children?: ReactNode;
  footer?: ReactNode;
  wide?: boolean;
  testId?: string;
}) {
  return (
    <div className={`auth-card${wide ? ' auth-card-wide' : ''}`} data-testid={testId}>
      <div className="auth-card-head">
        {icon ? <span className={`auth-card-icon auth-card-icon-${tone}`}>{icon}</span> : null}
        <h1 className="auth-title" data-testid="auth-title">
          {title}
        </h1>
        {subtitle ? <p className="auth-subtitle">{subtitle}</p> : null}
      </div>
      {children}
      {footer ? <div className="auth-card-footer">{footer}</div> : null}
    </div>
  );
}
