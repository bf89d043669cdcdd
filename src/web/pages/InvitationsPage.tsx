import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, Navigate, useLocation } from 'react-router';
import { type ReceivedInvitation, roleDescriptions, roleLabels } from '../../contracts/organisations.ts';
import { Alert, FormError } from '../components/forms.tsx';
import { ArrowRightIcon, CheckIcon, MailIcon, XIcon } from '../components/icons.tsx';
import { PageSkeleton } from '../components/RequireAuth.tsx';
import { Badge, Card, ErrorState, PageHeader, Section, Skeleton } from '../components/ui.tsx';
import { formatDateTime, formatRelative } from '../lib/format.ts';
import {
  acceptInvitation,
  declineInvitation,
  forgetInvitationToken,
  pendingInvitationToken,
  receivedInvitationsQuery,
  rememberInvitationToken,
} from '../lib/organisations.ts';
import { ACCOUNT_KEY, meQuery } from '../lib/queries.ts';

type Outcome =
  | { kind: 'accepted'; orgId: string; orgName: string; role: ReceivedInvitation['role'] }
  | { kind: 'declined'; orgName: string | null };

/**
 * The invitation email links to `/invitations#token=…`: the token stays out of server logs and
 * Referer headers. It is moved to this tab's sessionStorage at once (and the fragment dropped), so
 * it survives the sign-in the page may need first.
 */
function useInvitationToken(): string | null {
  const location = useLocation();
  const fromHash = /(?:^#|&)token=([\w-]+)/.exec(location.hash)?.[1] ?? null;
  if (fromHash) rememberInvitationToken(fromHash);
  useEffect(() => {
    if (fromHash) window.history.replaceState(window.history.state, '', `${location.pathname}${location.search}`);
  }, [fromHash, location.pathname, location.search]);
  return fromHash ?? pendingInvitationToken();
}

function useRespond(onDone: (outcome: Outcome) => void) {
  const queryClient = useQueryClient();
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: [ACCOUNT_KEY, 'invitations'] });
    await queryClient.invalidateQueries({ queryKey: meQuery.queryKey });
  };
  const accept = useMutation({
    mutationFn: acceptInvitation,
    onSuccess: async (result, request) => {
      if ('token' in request) forgetInvitationToken();
      onDone({ kind: 'accepted', ...result });
      await refresh();
    },
  });
  const decline = useMutation({
    mutationFn: (input: { request: Parameters<typeof declineInvitation>[0]; orgName: string | null }) =>
      declineInvitation(input.request),
    onSuccess: async (_result, { request, orgName }) => {
      if ('token' in request) forgetInvitationToken();
      onDone({ kind: 'declined', orgName });
      await refresh();
    },
  });
  return { accept, decline };
}

function LinkInvitation({ token, onDone }: { token: string; onDone: (outcome: Outcome) => void }) {
  const { accept, decline } = useRespond(onDone);
  const error = accept.error ?? decline.error;
  const busy = accept.isPending || decline.isPending;
  return (
    <Card className="panel invitation-link-card" testId="invitation-link">
      <div className="invitation-link">
        <span className="panel-icon">
          <MailIcon size={18} />
        </span>
        <div className="invitation-link-text">
          <div className="invitation-link-title">You’ve been invited to join an organisation</div>
          <p className="muted">
            From the link in your invitation email. Accepting adds you with the role you were invited with; you can
            leave again at any time.
          </p>
        </div>
      </div>
      {error ? (
        <FormError
          error={error}
          testId="invitation-link-error"
          actions={
            <button
              type="button"
              className="button button-secondary button-sm"
              onClick={() => {
                forgetInvitationToken();
                onDone({ kind: 'declined', orgName: null });
              }}
            >
              Dismiss this link
            </button>
          }
        />
      ) : null}
      <div className="inline-actions">
        <button
          type="button"
          className="button button-primary"
          onClick={() => accept.mutate({ token })}
          disabled={busy}
          data-testid="invitation-link-accept"
        >
          <CheckIcon size={14} />
          {accept.isPending ? 'Joining…' : 'Accept invitation'}
        </button>
        <button
          type="button"
          className="button button-secondary"
          onClick={() => decline.mutate({ request: { token }, orgName: null })}
          disabled={busy}
          data-testid="invitation-link-decline"
        >
          Decline
        </button>
      </div>
    </Card>
  );
}

function InvitationItem({
  invitation,
  onDone,
}: {
  invitation: ReceivedInvitation;
  onDone: (outcome: Outcome) => void;
}) {
  const { accept, decline } = useRespond(onDone);
  const error = accept.error ?? decline.error;
  const busy = accept.isPending || decline.isPending;
  return (
    <li className="org-item invitation-item" data-testid="received-invitation" data-org={invitation.orgName}>
      <span className="org-avatar" aria-hidden="true">
        {invitation.orgName.slice(0, 1).toUpperCase()}
      </span>
      <div className="org-text">
        <div className="org-name">
          {invitation.orgName}{' '}
          <Badge tone={invitation.role === 'org_admin' ? 'accent' : 'neutral'}>{roleLabels[invitation.role]}</Badge>
        </div>
        <div className="table-sub">
          {invitation.invitedByEmail ? `Invited by ${invitation.invitedByEmail} · ` : ''}
          <span title={formatDateTime(invitation.expiresAt)}>expires {formatRelative(invitation.expiresAt)}</span>
        </div>
        <div className="table-sub">{roleDescriptions[invitation.role]}</div>
        {error ? <FormError error={error} testId="received-invitation-error" /> : null}
      </div>
      <div className="inline-actions">
        <button
          type="button"
          className="button button-primary button-sm"
          onClick={() => accept.mutate({ invitationId: invitation.id })}
          disabled={busy}
          data-testid="received-invitation-accept"
        >
          <CheckIcon size={13} />
          Accept
        </button>
        <button
          type="button"
          className="button button-secondary button-sm"
          onClick={() => decline.mutate({ request: { invitationId: invitation.id }, orgName: invitation.orgName })}
          disabled={busy}
          data-testid="received-invitation-decline"
        >
          <XIcon size={13} />
          Decline
        </button>
      </div>
    </li>
  );
}

function Invitations({ token }: { token: string | null }) {
  const query = useQuery(receivedInvitationsQuery);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [linkDone, setLinkDone] = useState(false);
  const onDone = (next: Outcome) => {
    setOutcome(next);
    if (token) setLinkDone(true);
  };
  return (
    <div className="page" data-testid="invitations-page">
      <PageHeader
        eyebrow="Account"
        title="Invitations"
        description="Organisations that have invited you. Each invitation is for the email address you signed in with."
      />
      {outcome?.kind === 'accepted' ? (
        <Alert
          tone="success"
          title={`You joined ${outcome.orgName}`}
          testId="invitation-accepted"
          actions={
            <Link
              to={`/orgs/${outcome.orgId}/settings`}
              className="button button-primary button-sm"
              data-testid="invitation-open-org"
            >
              Open {outcome.orgName}
              <ArrowRightIcon size={13} />
            </Link>
          }
        >
          Your role is {roleLabels[outcome.role]}. {roleDescriptions[outcome.role]}
        </Alert>
      ) : outcome?.kind === 'declined' ? (
        <Alert tone="info" testId="invitation-declined">
          {outcome.orgName ? `You declined the invitation to ${outcome.orgName}.` : 'The invitation was set aside.'}
        </Alert>
      ) : null}
      {token && !linkDone ? <LinkInvitation token={token} onDone={onDone} /> : null}
      <Section title="Pending invitations" id="received">
        {query.isPending ? (
          <Card className="panel">
            <div className="skeleton-stack">
              <Skeleton width="full" />
              <Skeleton width="lg" />
            </div>
          </Card>
        ) : query.error ? (
          <ErrorState
            error={query.error}
            heading="Could not load your invitations"
            onRetry={() => void query.refetch()}
            retrying={query.isFetching}
          />
        ) : query.data.items.length === 0 ? (
          <div className="empty" data-testid="received-invitations-empty">
            <MailIcon size={20} />
            <div className="empty-title">No pending invitations</div>
            <p>When an organisation’s admin invites you, the invitation appears here and in your email.</p>
          </div>
        ) : (
          <Card className="panel">
            <ul className="org-list" data-testid="received-invitations">
              {query.data.items.map((invitation) => (
                <InvitationItem key={invitation.id} invitation={invitation} onDone={onDone} />
              ))}
            </ul>
          </Card>
        )}
      </Section>
    </div>
  );
}

/** Outside RequireAuth: the link's token is saved before a signed-out visitor is sent to sign in. */
export function InvitationsPage() {
  const token = useInvitationToken();
  const { data: me, isPending, error, refetch, isFetching } = useQuery(meQuery);
  if (isPending) return <PageSkeleton />;
  if (error)
    return (
      <ErrorState
        error={error}
        heading="Could not check your session"
        onRetry={() => void refetch()}
        retrying={isFetching}
      />
    );
  if (!me) {
    return (
      <Navigate
        to="/sign-in?next=%2Finvitations"
        replace
        state={token ? { notice: 'Sign in with the email address the invitation was sent to, to answer it.' } : null}
      />
    );
  }
  return <Invitations token={token} />;
}

/** For the overview: a short note when invitations are waiting. */
export function PendingInvitationsBanner() {
  const { data } = useQuery(receivedInvitationsQuery);
  const count = data?.items.length ?? 0;
  if (count === 0) return null;
  const first = data!.items[0]!;
  return (
    <div className="callout callout-action" data-testid="overview-invitations">
      <div>
        <div className="callout-title">
          {count === 1
            ? `${first.orgName} invited you to join as ${roleLabels[first.role].toLowerCase()}`
            : `${count} organisations invited you`}
        </div>
        <p>Accept to see what they share with you, or decline if it isn’t for you.</p>
      </div>
      <Link to="/invitations" className="button button-primary" data-testid="overview-invitations-open">
        Review
        <ArrowRightIcon size={13} />
      </Link>
    </div>
  );
}
