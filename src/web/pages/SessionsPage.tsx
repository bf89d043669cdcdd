import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { SessionView } from '../../contracts/sessions.ts';
import { ConfirmDialog } from '../components/ConfirmDialog.tsx';
import { Alert } from '../components/forms.tsx';
import { LogOutIcon, MonitorIcon, SmartphoneIcon, TerminalIcon } from '../components/icons.tsx';
import { useSignOut } from '../components/UserMenu.tsx';
import { Badge, Card, ErrorState, PageHeader, Skeleton } from '../components/ui.tsx';
import { revokeOtherSessions, revokeSession } from '../lib/account.ts';
import { formatDateTime, formatRelative, pluralise } from '../lib/format.ts';
import { sessionsQuery } from '../lib/queries.ts';

function DeviceIcon({ device }: { device: string }) {
  if (/iOS|iPhone|iPad|Android|Mobile/i.test(device)) return <SmartphoneIcon size={18} />;
  if (/curl|HTTPie|node|python|Go-http|okhttp|API client|Unknown/i.test(device)) return <TerminalIcon size={18} />;
  return <MonitorIcon size={18} />;
}

/** `amr` values (RFC 8176) as people say them. */
function methodsLabel(amr: readonly string[]): string {
  const names: Record<string, string> = { pwd: 'Password', otp: 'authenticator code', sso: 'Single sign-on' };
  const labels = amr.map((method) => names[method] ?? method);
  if (labels.length === 0) return 'Unknown';
  return labels.join(' + ').replace(/^authenticator/, 'Authenticator');
}

function TimeCell({ value }: { value: string }) {
  return (
    <>
      <time dateTime={value} title={formatDateTime(value)}>
        {formatRelative(value)}
      </time>
      <span className="table-sub">{formatDateTime(value)}</span>
    </>
  );
}

function SessionRow({
  session,
  onRevoke,
  revoking,
}: {
  session: SessionView;
  onRevoke: (session: SessionView) => void;
  revoking: boolean;
}) {
  return (
    <tr data-testid="session-row" data-current={session.current}>
      <td>
        <div className="device">
          <span className={`device-icon${session.current ? ' is-current' : ''}`}>
            <DeviceIcon device={session.device} />
          </span>
          <div className="device-text">
            <div className="device-name">
              {session.device}
              {session.current ? (
                <Badge tone="success" dot testId="session-current">
                  This device
                </Badge>
              ) : null}
            </div>
            <div className="device-sub" title={session.userAgent ?? undefined}>
              {methodsLabel(session.amr)}
            </div>
          </div>
        </div>
      </td>
      <td className="mono small">{session.ip ?? <span className="muted">Unknown</span>}</td>
      <td>
        <TimeCell value={session.createdAt} />
      </td>
      <td>
        <TimeCell value={session.lastUsedAt} />
      </td>
      <td className="align-right">
        <button
          type="button"
          className="button button-secondary button-sm"
          onClick={() => onRevoke(session)}
          disabled={revoking}
          data-testid="session-revoke"
        >
          {session.current ? 'Sign out' : 'Revoke'}
        </button>
      </td>
    </tr>
  );
}

export function SessionsPage() {
  const queryClient = useQueryClient();
  const { data, error, isPending, refetch, isFetching } = useQuery(sessionsQuery);
  const [confirm, setConfirm] = useState<{ kind: 'one'; session: SessionView } | { kind: 'others' } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const signOut = useSignOut();

  const revokeOne = useMutation({
    mutationFn: (session: SessionView) => revokeSession(session.id),
    onSuccess: async (_result, session) => {
      setConfirm(null);
      setNotice(`Signed out ${session.device}.`);
      await queryClient.invalidateQueries({ queryKey: sessionsQuery.queryKey });
    },
  });
  const revokeOthers = useMutation({
    mutationFn: revokeOtherSessions,
    onSuccess: async (count) => {
      setConfirm(null);
      setNotice(
        count === 0 ? 'There were no other sessions to end.' : `Signed out ${pluralise(count, 'other session')}.`,
      );
      await queryClient.invalidateQueries({ queryKey: sessionsQuery.queryKey });
    },
  });

  const others = data ? data.items.filter((session) => !session.current).length : 0;
  const onRevoke = (session: SessionView) => {
    if (session.current) signOut.mutate();
    else {
      revokeOne.reset();
      setConfirm({ kind: 'one', session });
    }
  };

  return (
    <div className="page" data-testid="sessions-page">
      <PageHeader
        eyebrow="Account"
        title="Sessions"
        description="Everywhere you’re signed in to Vigil. If you don’t recognise a device, revoke it and change your password."
        actions={
          <button
            type="button"
            className="button button-secondary"
            onClick={() => {
              revokeOthers.reset();
              setConfirm({ kind: 'others' });
            }}
            disabled={others === 0}
            data-testid="revoke-others"
          >
            <LogOutIcon size={14} />
            Sign out all other sessions
          </button>
        }
      />

      {notice ? (
        <Alert tone="success" testId="sessions-notice">
          {notice}
        </Alert>
      ) : null}

      {data?.alerts.map((alert) => (
        <Alert
          key={alert.sessionId}
          tone="danger"
          title="A session was ended because its refresh token was used twice"
          testId="session-alert"
        >
          On {formatDateTime(alert.detectedAt)}, a session on {alert.device}
          {alert.ip ? ` (${alert.ip})` : ''} presented a token that had already been used — a sign it may have been
          copied. Vigil ended that session. If it wasn’t you, change your password and turn on two-step verification.
        </Alert>
      ))}

      {isPending ? (
        <Card className="panel">
          <div className="skeleton-stack">
            <Skeleton width="full" />
            <Skeleton width="lg" />
            <Skeleton width="full" />
          </div>
        </Card>
      ) : error ? (
        <ErrorState
          error={error}
          heading="Could not load your sessions"
          onRetry={() => void refetch()}
          retrying={isFetching}
        />
      ) : (
        <Card className="panel-flush">
          <table className="table" data-testid="sessions-table">
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">IP address</th>
                <th scope="col">Signed in</th>
                <th scope="col">Last active</th>
                <th scope="col" className="align-right">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((session) => (
                <SessionRow
                  key={session.id}
                  session={session}
                  onRevoke={onRevoke}
                  revoking={revokeOne.isPending || signOut.isPending}
                />
              ))}
            </tbody>
          </table>
          <p className="table-footnote">
            “Last active” is the last time the session renewed its access, so it can lag by up to 10 minutes.
          </p>
        </Card>
      )}

      {confirm ? (
        <ConfirmDialog
          title={confirm.kind === 'others' ? 'Sign out all other sessions?' : `Revoke ${confirm.session.device}?`}
          description={
            confirm.kind === 'others'
              ? `${pluralise(others, 'session')} will be signed out straight away. This device stays signed in.`
              : 'That device will be signed out straight away and will need your password to get back in.'
          }
          testId="sessions-confirm-dialog"
          confirmLabel={confirm.kind === 'others' ? 'Sign out others' : 'Revoke session'}
          pendingLabel="Signing out…"
          confirmTestId="confirm-revoke"
          pending={revokeOne.isPending || revokeOthers.isPending}
          error={confirm.kind === 'others' ? revokeOthers.error : revokeOne.error}
          onConfirm={() => (confirm.kind === 'others' ? revokeOthers.mutate() : revokeOne.mutate(confirm.session))}
          onClose={() => setConfirm(null)}
        />
      ) : null}
    </div>
  );
}
