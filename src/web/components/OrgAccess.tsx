import type { ReactNode } from 'react';
import { Link } from 'react-router';
import type { MeResponse } from '../../contracts/identity.ts';
import { roleLabels } from '../../contracts/organisations.ts';
import { Alert } from './forms.tsx';
import { ArrowLeftIcon, LockIcon } from './icons.tsx';
import { PageHeader } from './ui.tsx';

/** An organisation page opened by someone who isn't a member of it (or it doesn't exist). */
export function OrganisationNotFound({ testId }: { testId: string }) {
  return (
    <div className="centered-state" data-testid={testId}>
      <div className="centered-code">404</div>
      <h1 className="centered-title">Organisation not found</h1>
      <p className="centered-text">
        You’re not a member of this organisation, or it doesn’t exist. Ask one of its administrators to invite you.
      </p>
      <div className="centered-actions">
        <Link to="/" className="button button-primary">
          <ArrowLeftIcon size={14} />
          Back to overview
        </Link>
      </div>
    </div>
  );
}

/** A page the member's role does not allow: said plainly, with who can help. */
export function RestrictedPage({
  membership,
  title,
  heading,
  reason,
  testId,
}: {
  membership: MeResponse['memberships'][number];
  title: string;
  heading: string;
  reason: ReactNode;
  testId: string;
}) {
  return (
    <div className="page" data-testid={testId}>
      <PageHeader eyebrow={membership.orgName} title={title} />
      <Alert tone="info" title={heading}>
        Your role in {membership.orgName} is <strong>{roleLabels[membership.role]}</strong>. Ask one of its admins if
        you need something changed.
      </Alert>
      <div className="empty">
        <LockIcon size={20} />
        <div className="empty-title">Restricted</div>
        <p>{reason}</p>
      </div>
    </div>
  );
}
