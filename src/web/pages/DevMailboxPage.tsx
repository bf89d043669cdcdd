import { useQuery } from '@tanstack/react-query';
import { Fragment, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { OutboxMessage } from '../../contracts/identity.ts';
import { Alert } from '../components/forms.tsx';
import { ExternalIcon, InboxIcon, MailIcon, RefreshIcon } from '../components/icons.tsx';
import { Badge, ErrorState, PageHeader, Skeleton } from '../components/ui.tsx';
import { formatDateTime, formatRelative, pluralise } from '../lib/format.ts';
import { devOutboxAvailable, devOutboxQuery, statusQuery } from '../lib/queries.ts';

/** Pages of this app that emails link to: opened here, whatever host the server put in the link. */
const APP_PATHS = ['/verify-email', '/reset-password', '/sign-in', '/sign-up', '/forgot-password', '/account/'];

function inAppPath(href: string): string | null {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return null;
  }
  if (!APP_PATHS.some((path) => url.pathname === path || (path.endsWith('/') && url.pathname.startsWith(path)))) {
    return null;
  }
  return `${url.pathname}${url.search}${url.hash}`;
}

/** The mail's plain text with its http(s) links made clickable. Text only: nothing is parsed as HTML. */
function MailBody({ text }: { text: string }) {
  const parts = text.split(/(https?:\/\/[^\s<>"']+)/g);
  const nodes: ReactNode[] = parts.map((part, index) => {
    if (index % 2 === 0) return <Fragment key={index}>{part}</Fragment>;
    const local = inAppPath(part);
    if (local) {
      return (
        <Link
          key={index}
          to={local}
          className="mail-link"
          title={`${part}\n(opens in this app)`}
          data-testid="mail-link"
        >
          {part}
        </Link>
      );
    }
    return (
      <a key={index} href={part} className="mail-link" target="_blank" rel="noopener noreferrer">
        {part}
        <ExternalIcon size={11} />
      </a>
    );
  });
  return (
    <div className="mail-body" data-testid="mail-body">
      {nodes}
    </div>
  );
}

function deliveryBadge(message: OutboxMessage) {
  if (message.sentAt) return <Badge tone="success">Sent</Badge>;
  if (message.lastError) return <Badge tone="danger">Failed</Badge>;
  return <Badge tone="neutral">Kept in outbox</Badge>;
}

function MessageView({ message }: { message: OutboxMessage }) {
  return (
    <article className="mail-view" data-testid="mail-view">
      <header className="mail-view-head">
        <h2 className="mail-view-subject" data-testid="mail-subject">
          {message.subject}
        </h2>
        <dl className="mail-view-meta">
          <div>
            <dt>To</dt>
            <dd data-testid="mail-to">{message.to}</dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>
              <time dateTime={message.createdAt}>{formatDateTime(message.createdAt)}</time>
            </dd>
          </div>
          <div>
            <dt>Delivery</dt>
            <dd>
              {deliveryBadge(message)}
              {message.sentAt ? <span className="muted small"> {formatDateTime(message.sentAt)}</span> : null}
            </dd>
          </div>
        </dl>
        {message.lastError ? (
          <Alert tone="danger" title="Last delivery error">
            {message.lastError}
          </Alert>
        ) : null}
      </header>
      <MailBody text={message.text} />
    </article>
  );
}

function Mailbox({ messages }: { messages: OutboxMessage[] }) {
  const [searchParams, setSearchParams] = useSearchParams();
  const selectedId = searchParams.get('m');
  const selected = messages.find((message) => message.id === selectedId) ?? messages[0] ?? null;
  if (!selected) {
    return (
      <div className="empty" data-testid="mailbox-empty">
        <InboxIcon size={22} />
        <div className="empty-title">No mail yet</div>
        <p>
          Sign up, ask for a new verification link or a password reset, and the message will show up here within a
          couple of seconds.
        </p>
      </div>
    );
  }
  return (
    <div className="mailbox card" data-testid="mailbox">
      <ul className="mail-list" aria-label="Messages">
        {messages.map((message) => {
          const active = message.id === selected.id;
          return (
            <li key={message.id}>
              <button
                type="button"
                className={`mail-item${active ? ' is-active' : ''}`}
                aria-current={active ? 'true' : undefined}
                onClick={() => setSearchParams({ m: message.id }, { replace: true })}
                data-testid="mail-item"
              >
                <span className="mail-item-top">
                  <span className="mail-item-to">{message.to}</span>
                  <time
                    className="mail-item-time"
                    dateTime={message.createdAt}
                    title={formatDateTime(message.createdAt)}
                  >
                    {formatRelative(message.createdAt)}
                  </time>
                </span>
                <span className="mail-item-subject">{message.subject}</span>
                <span className="mail-item-preview">{message.text.replace(/\s+/g, ' ').slice(0, 90)}</span>
              </button>
            </li>
          );
        })}
      </ul>
      <MessageView message={selected} />
    </div>
  );
}

export function DevMailboxPage() {
  const { data: status } = useQuery(statusQuery);
  const available = devOutboxAvailable(status?.profile);
  const { data, error, isPending, refetch, isFetching } = useQuery({
    ...devOutboxQuery,
    enabled: available,
    refetchInterval: 4_000,
  });
  return (
    <div className="page" data-testid="dev-mailbox-page">
      <PageHeader
        eyebrow="Development"
        title="Dev mailbox"
        description="Mail this server would have sent. It exists only in the development and test profiles and answers only requests from this machine, so you can follow verification and password-reset links locally."
        actions={
          <button
            type="button"
            className="button button-secondary"
            onClick={() => void refetch()}
            disabled={isFetching || !available}
          >
            <RefreshIcon size={14} className={isFetching ? 'spin' : undefined} />
            Refresh
          </button>
        }
      />
      {status && !available ? (
        <div className="empty" data-testid="mailbox-unavailable">
          <MailIcon size={22} />
          <div className="empty-title">The dev mailbox isn’t available here</div>
          <p>
            It’s only served by development and test servers, to a browser on the same machine. This server runs the{' '}
            <strong>{status.profile}</strong> profile.
          </p>
        </div>
      ) : isPending ? (
        <div className="mailbox card" aria-busy="true">
          <div className="mail-list">
            <div className="skeleton-stack mail-skeleton">
              <Skeleton width="lg" />
              <Skeleton width="md" />
              <Skeleton width="full" />
            </div>
          </div>
          <div className="mail-view">
            <div className="skeleton-stack">
              <Skeleton width="md" tall />
              <Skeleton width="full" />
              <Skeleton width="lg" />
            </div>
          </div>
        </div>
      ) : error && !data ? (
        <ErrorState error={error} heading="Could not open the dev mailbox" onRetry={() => void refetch()} />
      ) : (
        <>
          <p className="muted small" data-testid="mailbox-count">
            {pluralise(data.items.length, 'message')}, newest first · refreshes every few seconds
          </p>
          <Mailbox messages={data.items} />
        </>
      )}
    </div>
  );
}
