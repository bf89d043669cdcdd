import { roleLabels } from '../../../contracts/organisations.ts';
import type { OrganisationRole } from '../../../contracts/permissions.ts';
import type { MailMessage } from '../identity/mail/create-mailer.ts';

/**
 * The link carries the token in the fragment (`#token=`), which browsers never send to a server:
 * it stays out of access logs, proxies and Referer headers.
 */
export function invitationLink(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/invitations#token=${token}`;
}

export function invitationMail(options: {
  to: string;
  orgName: string;
  role: OrganisationRole;
  inviterEmail: string | null;
  link: string;
  expiresAt: Date;
}): MailMessage {
  const inviter = options.inviterEmail ?? 'An administrator';
  return {
    to: options.to,
    subject: `You're invited to ${options.orgName} on Vigil`,
    text: [
      'Hello,',
      '',
      `${inviter} invited you to join ${options.orgName} on Vigil as ${roleLabels[options.role].toLowerCase()}.`,
      '',
      `Accept or decline: ${options.link}`,
      '',
      `Sign in (or create an account) with this email address (${options.to}) to accept. The link works once and expires on ${options.expiresAt.toUTCString()}.`,
      '',
      "If you weren't expecting this, ignore this email: nothing happens unless you accept.",
    ].join('\n'),
  };
}
