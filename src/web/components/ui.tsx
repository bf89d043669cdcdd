import { Fragment, type ReactNode } from 'react';
import { Link } from 'react-router';
import { toApiError } from '../lib/api.ts';
import { AlertIcon, RefreshIcon } from './icons.tsx';

export function PageHeader({
  eyebrow,
  title,
  description,
  actions,
}: {
  eyebrow?: ReactNode;
  title: ReactNode;
  description?: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <header className="page-header">
      <div className="page-header-text">
        {eyebrow ? <div className="eyebrow">{eyebrow}</div> : null}
        <h1 className="page-title">{title}</h1>
        {description ? <p className="page-description">{description}</p> : null}
      </div>
      {actions ? <div className="page-header-actions">{actions}</div> : null}
    </header>
  );
}

export function Section({
  title,
  description,
  actions,
  children,
  id,
}: {
  title: ReactNode;
  description?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  id?: string;
}) {
  return (
    <section className="section" aria-labelledby={id ? `${id}-title` : undefined}>
      <div className="section-header">
        <div>
          <h2 className="section-title" id={id ? `${id}-title` : undefined}>
            {title}
          </h2>
          {description ? <p className="section-description">{description}</p> : null}
        </div>
        {actions ? <div className="section-actions">{actions}</div> : null}
      </div>
      {children}
    </section>
  );
}

export type Tone = 'neutral' | 'success' | 'warning' | 'danger' | 'info' | 'accent';

export function Badge({
  tone = 'neutral',
  dot = false,
  children,
  testId,
}: {
  tone?: Tone;
  dot?: boolean;
  children: ReactNode;
  testId?: string;
}) {
  return (
    <span className={`badge badge-${tone}`} data-testid={testId}>
      {dot ? <span className={`dot dot-${tone}`} aria-hidden="true" /> : null}
      {children}
    </span>
  );
}

export function Card({
  children,
  className = '',
  testId,
}: {
  children: ReactNode;
  className?: string;
  testId?: string;
}) {
  return (
    <div className={`card ${className}`.trim()} data-testid={testId}>
      {children}
    </div>
  );
}

export function Skeleton({ width = 'full', tall = false }: { width?: 'full' | 'lg' | 'md' | 'sm'; tall?: boolean }) {
  return <span className={`skeleton skeleton-${width}${tall ? ' skeleton-tall' : ''}`} aria-hidden="true" />;
}

/** A table (or list) still loading: `rows` grey bars in a card. */
export function TableSkeleton({ rows = 3 }: { rows?: number }) {
  const widths = ['full', 'lg', 'full', 'md'] as const;
  return (
    <Card className="panel">
      <div className="skeleton-stack">
        {Array.from({ length: rows }, (_, index) => (
          <Skeleton key={index} width={widths[index % widths.length]} />
        ))}
      </div>
    </Card>
  );
}

/** Renders text where `backticks` mark inline code, as in the problem descriptions. */
export function RichText({ text }: { text: string }) {
  const parts = text.split('`');
  return (
    <>
      {parts.map((part, index) =>
        index % 2 === 1 ? (
          <code key={index} className="inline-code">
            {part}
          </code>
        ) : (
          <Fragment key={index}>{part}</Fragment>
        ),
      )}
    </>
  );
}

/** The error state for a failed query: shows the problem document's title and detail when there is one. */
export function ErrorState({
  error,
  onRetry,
  retrying = false,
  heading,
  testId = 'error-state',
}: {
  error: unknown;
  onRetry?: () => void;
  retrying?: boolean;
  heading?: string;
  testId?: string;
}) {
  const apiError = toApiError(error);
  const code = apiError.problemCode;
  return (
    <div className="error-state" role="alert" data-testid={testId}>
      <div className="error-state-icon">
        <AlertIcon size={18} />
      </div>
      <div className="error-state-body">
        {heading ? <div className="error-state-eyebrow">{heading}</div> : null}
        <h3 className="error-state-title" data-testid={`${testId}-title`}>
          {apiError.title}
        </h3>
        {apiError.detail ? (
          <p className="error-state-detail" data-testid={`${testId}-detail`}>
            {apiError.detail}
          </p>
        ) : null}
        <dl className="error-state-meta">
          {apiError.status !== null ? (
            <div>
              <dt>HTTP status</dt>
              <dd>{apiError.status}</dd>
            </div>
          ) : null}
          {code ? (
            <div>
              <dt>Problem type</dt>
              <dd>
                <Link to={`/problems/${encodeURIComponent(code)}`} className="link mono">
                  /problems/{code}
                </Link>
              </dd>
            </div>
          ) : null}
          {apiError.requestId ? (
            <div>
              <dt>Request ID</dt>
              <dd className="mono">{apiError.requestId}</dd>
            </div>
          ) : null}
        </dl>
        {onRetry ? (
          <button type="button" className="button button-secondary button-sm" onClick={onRetry} disabled={retrying}>
            <RefreshIcon size={14} className={retrying ? 'spin' : undefined} />
            {retrying ? 'Retrying…' : 'Try again'}
          </button>
        ) : null}
      </div>
    </div>
  );
}

export function KeyValue({ label, children, testId }: { label: ReactNode; children: ReactNode; testId?: string }) {
  return (
    <div className="kv">
      <dt className="kv-label">{label}</dt>
      <dd className="kv-value" data-testid={testId}>
        {children}
      </dd>
    </div>
  );
}
