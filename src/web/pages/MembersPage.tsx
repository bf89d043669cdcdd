import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { useParams } from 'react-router';
import { emailSchema, type MeResponse } from '../../contracts/identity.ts';
import {
  type InvitationView,
  type MemberView,
  roleDescriptions,
  roleLabels,
  roleRank,
} from '../../contracts/organisations.ts';
import { type OrganisationRole, organisationRoles } from '../../contracts/permissions.ts';
import { ConfirmDialog } from '../components/ConfirmDialog.tsx';
import { Alert, Field, FormError, fieldErrorsOf, SubmitButton, TextInput } from '../components/forms.tsx';
import { RefreshIcon, SendIcon, ShieldCheckIcon, TrashIcon, UserPlusIcon, XIcon } from '../components/icons.tsx';
import { OrganisationNotFound, RestrictedPage } from '../components/OrgAccess.tsx';
import { PageSkeleton } from '../components/RequireAuth.tsx';
import { isStepUpCancelled, useStepUp } from '../components/StepUp.tsx';
import { Avatar } from '../components/UserMenu.tsx';
import { Badge, Card, ErrorState, PageHeader, Section, TableSkeleton, type Tone } from '../components/ui.tsx';
import { formatDateTime, formatRelative, pluralise } from '../lib/format.ts';
import {
  can,
  changeMemberRole,
  invitationsQuery,
  inviteMember,
  membersQuery,
  membershipOf,
  removeMember,
  resendInvitation,
  revokeInvitation,
} from '../lib/organisations.ts';
import { ACCOUNT_KEY, meQuery } from '../lib/queries.ts';

const statusTone: Record<InvitationView['status'], Tone> = {
  pending: 'info',
  accepted: 'success',
  declined: 'neutral',
  revoked: 'neutral',
  expired: 'warning',
};

function RoleSelect({
  id,
  value,
  onChange,
  maxRole,
  disabled = false,
  testId,
  label,
}: {
  id?: string;
  value: OrganisationRole;
  onChange: (role: OrganisationRole) => void;
  maxRole: OrganisationRole;
  disabled?: boolean;
  testId?: string;
  label?: string;
}) {
  return (
    <select
      id={id}
      className="input select select-compact"
      value={value}
      onChange={(event) => onChange(event.target.value as OrganisationRole)}
      disabled={disabled}
      aria-label={label}
      data-testid={testId}
    >
      {organisationRoles.map((role) => (
        <option key={role} value={role} disabled={roleRank[role] > roleRank[maxRole]}>
          {roleLabels[role]}
        </option>
      ))}
    </select>
  );
}

function InviteForm({ orgId, callerRole }: { orgId: string; callerRole: OrganisationRole }) {
  const emailId = useId();
  const roleId = useId();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<OrganisationRole>('viewer');
  const [localError, setLocalError] = useState<string | null>(null);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const mutation = useMutation({
    mutationFn: (input: { email: string; role: OrganisationRole }) => inviteMember(orgId, input.email, input.role),
    onSuccess: async (invitation) => {
      setSentTo(invitation.email);
      setEmail('');
      await queryClient.invalidateQueries({ queryKey: invitationsQuery(orgId).queryKey });
    },
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setSentTo(null);
    const parsed = emailSchema.safeParse(email);
    if (!parsed.success) return setLocalError('Enter an email address like name@company.com.');
    setLocalError(null);
    mutation.mutate({ email: parsed.data, role });
  };
  const fieldErrors = fieldErrorsOf(mutation.error, ['email', 'role']);
  return (
    <Card className="panel invite-card" testId="invite-card">
      <form className="invite-form" onSubmit={submit} noValidate data-testid="invite-form">
        <Field label="Email address" htmlFor={emailId} error={localError ?? fieldErrors.email}>
          <TextInput
            id={emailId}
            type="email"
            value={email}
            onChange={(event) => setEmail(event.target.value)}
            placeholder="colleague@company.com"
            autoComplete="off"
            invalid={Boolean(localError ?? fieldErrors.email)}
            data-testid="invite-email"
          />
        </Field>
        <Field label="Role" htmlFor={roleId} error={fieldErrors.role} hint={roleDescriptions[role]}>
          <RoleSelect id={roleId} value={role} onChange={setRole} maxRole={callerRole} testId="invite-role" />
        </Field>
        <div className="invite-submit">
          <SubmitButton pending={mutation.isPending} pendingLabel="Sending…" testId="invite-submit">
            <SendIcon size={14} />
            Send invitation
          </SubmitButton>
        </div>
      </form>
      {sentTo ? (
        <Alert tone="success" testId="invite-sent">
          Invitation sent to <strong>{sentTo}</strong>. The link in it works once, for 7 days.
        </Alert>
      ) : null}
      {mutation.error && !fieldErrors.email ? <FormError error={mutation.error} testId="invite-error" /> : null}
    </Card>
  );
}

function MemberRow({
  member,
  me,
  callerRole,
  busy,
  onRole,
  onRemove,
}: {
  member: MemberView;
  me: MeResponse;
  callerRole: OrganisationRole;
  busy: boolean;
  onRole: (member: MemberView, role: OrganisationRole) => void;
  onRemove: (member: MemberView) => void;
}) {
  const you = member.userId === me.id;
  return (
    <tr data-testid="member-row" data-email={member.email} data-role={member.role}>
      <td>
        <div className="person">
          <Avatar user={member} />
          <div className="person-text">
            <div className="person-name">
              {member.displayName ?? member.email.split('@')[0]}
              {you ? (
                <Badge tone="accent" testId="member-you">
                  You
                </Badge>
              ) : null}
            </div>
            <div className="person-email">{member.email}</div>
          </div>
        </div>
      </td>
      <td>
        <RoleSelect
          value={member.role}
          onChange={(role) => onRole(member, role)}
          maxRole={callerRole}
          disabled={busy}
          label={`Role of ${member.email}`}
          testId="member-role"
        />
      </td>
      <td>
        {member.mfaEnabled ? (
          <Badge tone="success" dot testId="member-mfa">
            On
          </Badge>
        ) : (
          <Badge tone="warning" dot testId="member-mfa">
            Off
          </Badge>
        )}
      </td>
      <td>
        <time dateTime={member.joinedAt} title={formatDateTime(member.joinedAt)}>
          {formatRelative(member.joinedAt)}
        </time>
      </td>
      <td className="align-right">
        <button
          type="button"
          className="button button-secondary button-sm"
          onClick={() => onRemove(member)}
          disabled={busy}
          data-testid="member-remove"
        >
          {you ? 'Leave' : 'Remove'}
        </button>
      </td>
    </tr>
  );
}

function InvitationRow({
  invitation,
  busy,
  onResend,
  onRevoke,
}: {
  invitation: InvitationView;
  busy: boolean;
  onResend: (invitation: InvitationView) => void;
  onRevoke: (invitation: InvitationView) => void;
}) {
  const open = invitation.status === 'pending' || invitation.status === 'expired';
  return (
    <tr data-testid="invitation-row" data-email={invitation.email} data-status={invitation.status}>
      <td className="strong">{invitation.email}</td>
      <td>{roleLabels[invitation.role]}</td>
      <td>
        <Badge tone={statusTone[invitation.status]} dot testId="invitation-status">
          {invitation.status}
        </Badge>
      </td>
      <td>
        <time dateTime={invitation.sentAt} title={formatDateTime(invitation.sentAt)}>
          {formatRelative(invitation.sentAt)}
        </time>
        {invitation.status === 'pending' ? (
          <span className="table-sub">Expires {formatRelative(invitation.expiresAt)}</span>
        ) : null}
      </td>
      <td className="align-right">
        {open ? (
          <div className="inline-actions inline-actions-end">
            <button
              type="button"
              className="button button-secondary button-sm"
              onClick={() => onResend(invitation)}
              disabled={busy}
              data-testid="invitation-resend"
            >
              <RefreshIcon size={13} />
              Resend
            </button>
            {invitation.status === 'pending' ? (
              <button
                type="button"
                className="button button-secondary button-sm"
                onClick={() => onRevoke(invitation)}
                disabled={busy}
                data-testid="invitation-revoke"
              >
                <XIcon size={13} />
                Revoke
              </button>
            ) : null}
          </div>
        ) : null}
      </td>
    </tr>
  );
}

function Members({
  me,
  orgId,
  orgName,
  callerRole,
}: {
  me: MeResponse;
  orgId: string;
  orgName: string;
  callerRole: OrganisationRole;
}) {
  const queryClient = useQueryClient();
  const withStepUp = useStepUp();
  const members = useQuery(membersQuery(orgId));
  const invitations = useQuery(invitationsQuery(orgId));
  const [notice, setNotice] = useState<string | null>(null);
  const [removing, setRemoving] = useState<MemberView | null>(null);

  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: [ACCOUNT_KEY, 'org', orgId] });
    await queryClient.invalidateQueries({ queryKey: meQuery.queryKey });
  };
  const roleChange = useMutation({
    mutationFn: ({ member, role }: { member: MemberView; role: OrganisationRole }) =>
      withStepUp(() => changeMemberRole(orgId, member.userId, role)),
    onMutate: () => setNotice(null),
    onSuccess: async (member) => {
      setNotice(
        `${member.email} is now ${roleLabels[member.role] === 'Admin' ? 'an admin' : `a ${roleLabels[member.role].toLowerCase()}`}.`,
      );
      await refresh();
    },
  });
  const removal = useMutation({
    mutationFn: (member: MemberView) => withStepUp(() => removeMember(orgId, member.userId)),
    onSuccess: async (_result, member) => {
      setRemoving(null);
      setNotice(
        member.userId === me.id ? `You left ${orgName}.` : `${member.email} no longer has access to ${orgName}.`,
      );
      await refresh();
    },
  });
  const invitationAction = useMutation({
    mutationFn: ({ invitation, action }: { invitation: InvitationView; action: 'resend' | 'revoke' }) =>
      action === 'resend' ? resendInvitation(orgId, invitation.id) : revokeInvitation(orgId, invitation.id),
    onMutate: () => setNotice(null),
    onSuccess: async (invitation, { action }) => {
      setNotice(
        action === 'resend'
          ? `Sent the invitation to ${invitation.email} again.`
          : `Revoked the invitation to ${invitation.email}.`,
      );
      await queryClient.invalidateQueries({ queryKey: invitationsQuery(orgId).queryKey });
    },
  });
  const actionError = [roleChange.error, invitationAction.error].find(
    (error) => error !== null && !isStepUpCancelled(error),
  );

  const memberCount = members.data?.items.length ?? 0;
  return (
    <div className="page" data-testid="members-page">
      <PageHeader
        eyebrow={orgName}
        title="Members"
        description="Everyone who can sign in to this organisation, and what their role lets them do. Role changes apply on their next request."
      />
      {notice ? (
        <Alert tone="success" testId="members-notice">
          {notice}
        </Alert>
      ) : null}
      {actionError ? <FormError error={actionError} testId="members-error" /> : null}

      <Section
        title="Invite someone"
        description="They’ll get an email with a link that works once, for 7 days."
        id="invite"
      >
        <InviteForm orgId={orgId} callerRole={callerRole} />
      </Section>

      <Section title="People" description={members.data ? pluralise(memberCount, 'member') : undefined} id="people">
        {members.isPending ? (
          <TableSkeleton />
        ) : members.error ? (
          <ErrorState
            error={members.error}
            heading="Could not load the members"
            onRetry={() => void members.refetch()}
            retrying={members.isFetching}
          />
        ) : (
          <Card className="panel-flush">
            <table className="table" data-testid="members-table">
              <thead>
                <tr>
                  <th scope="col">Person</th>
                  <th scope="col">Role</th>
                  <th scope="col">Two-step</th>
                  <th scope="col">Joined</th>
                  <th scope="col" className="align-right">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {members.data.items.map((member) => (
                  <MemberRow
                    key={member.userId}
                    member={member}
                    me={me}
                    callerRole={callerRole}
                    busy={roleChange.isPending || removal.isPending}
                    onRole={(target, role) => {
                      if (role !== target.role) roleChange.mutate({ member: target, role });
                    }}
                    onRemove={(target) => {
                      removal.reset();
                      setRemoving(target);
                    }}
                  />
                ))}
              </tbody>
            </table>
            <p className="table-footnote">
              <ShieldCheckIcon size={13} /> Viewers see deals and dashboards; builders also build apps and connect
              integrations; admins also manage members, settings and the audit log.
            </p>
          </Card>
        )}
      </Section>

      <Section title="Invitations" description="Open invitations and recent history." id="invitations">
        {invitations.isPending ? (
          <TableSkeleton />
        ) : invitations.error ? (
          <ErrorState
            error={invitations.error}
            heading="Could not load the invitations"
            onRetry={() => void invitations.refetch()}
            retrying={invitations.isFetching}
          />
        ) : invitations.data.items.length === 0 ? (
          <div className="empty" data-testid="invitations-empty">
            <UserPlusIcon size={20} />
            <div className="empty-title">No invitations yet</div>
            <p>Invite a colleague above; their invitation shows here until they answer it.</p>
          </div>
        ) : (
          <Card className="panel-flush">
            <table className="table" data-testid="invitations-table">
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Status</th>
                  <th scope="col">Sent</th>
                  <th scope="col" className="align-right">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {invitations.data.items.map((invitation) => (
                  <InvitationRow
                    key={invitation.id}
                    invitation={invitation}
                    busy={invitationAction.isPending}
                    onResend={(target) => invitationAction.mutate({ invitation: target, action: 'resend' })}
                    onRevoke={(target) => invitationAction.mutate({ invitation: target, action: 'revoke' })}
                  />
                ))}
              </tbody>
            </table>
          </Card>
        )}
      </Section>

      {removing ? (
        <ConfirmDialog
          title={removing.userId === me.id ? `Leave ${orgName}?` : `Remove ${removing.email}?`}
          description={
            removing.userId === me.id
              ? 'You’ll lose access straight away. An admin would have to invite you again.'
              : `Their access to ${orgName} ends straight away, on every device. You can invite them again later.`
          }
          testId="member-remove-dialog"
          confirmLabel={removing.userId === me.id ? 'Leave organisation' : 'Remove member'}
          pendingLabel="Removing…"
          confirmIcon={<TrashIcon size={14} />}
          confirmTestId="member-remove-confirm"
          pending={removal.isPending}
          error={removal.error}
          errorTestId="member-remove-error"
          onConfirm={() => removal.mutate(removing)}
          onClose={() => setRemoving(null)}
        />
      ) : null}
    </div>
  );
}

export function MembersPage() {
  const { orgId = '' } = useParams();
  const { data: me } = useQuery(meQuery);
  if (!me) return <PageSkeleton />;
  const membership = membershipOf(me, orgId);
  if (!membership) return <OrganisationNotFound testId="members-no-access" />;
  if (!can(me, orgId, 'members:manage')) {
    return (
      <RestrictedPage
        membership={membership}
        title="Members"
        heading="Only organisation admins can manage members"
        reason="Inviting people, changing roles and removing members is limited to admins."
        testId="members-restricted"
      />
    );
  }
  return <Members key={orgId} me={me} orgId={orgId} orgName={membership.orgName} callerRole={membership.role} />;
}
