/**
 * Every action the server writes to an audit chain, with the label the audit log pages show. The
 * server's audit types accept only these names (`AuditAction`), so an action cannot reach a chain
 * without a label here: adding one to a route or service fails the type check until it is listed.
 */
export const AUDIT_ACTION_LABELS = {
  'account.deleted': 'Account deleted',
  'account.email_verified': 'Email address verified',
  'account.password_changed': 'Password changed',
  'account.password_reset': 'Password reset',
  'account.password_reset_requested': 'Password reset requested',
  'account.signed_in': 'Signed in',
  'account.signed_up': 'Signed up',
  'audit.exported': 'Audit log exported',
  'invitation.accepted': 'Invitation accepted',
  'invitation.created': 'Invitation sent',
  'invitation.declined': 'Invitation declined',
  'invitation.resent': 'Invitation resent',
  'invitation.revoked': 'Invitation revoked',
  'member.joined': 'Member joined',
  'member.left': 'Member left',
  'member.removed': 'Member removed',
  'member.role_changed': 'Member’s role changed',
  'keys.data_key_rotated': 'Data encryption key rotated',
  'keys.master_rotated': 'Master key rotated',
  'mfa.disabled': 'Two-factor authentication turned off',
  'mfa.enrolled': 'Two-factor authentication turned on',
  'mfa.enrolment_started': 'Two-factor setup started',
  'mfa.recovery_code_used': 'Recovery code used',
  'mfa.recovery_codes_regenerated': 'Recovery codes replaced',
  'mfa.step_up': 'Second factor confirmed for a sensitive action',
  'mfa.verified': 'Second factor confirmed at sign-in',
  'organisation.created': 'Organisation created',
  'organisation.deleted': 'Organisation deleted',
  'organisation.suspended': 'Organisation suspended',
  'organisation.unsuspended': 'Organisation reinstated',
  'organisation.updated': 'Organisation settings changed',
  'platform_admin.granted': 'Platform admin rights granted',
  'session.organisation_switched': 'Switched organisation',
  'session.others_revoked': 'Other sessions signed out',
  'session.refresh_token_reused': 'Reused sign-in token refused; session ended',
  'session.revoked': 'Session signed out',
  'session.signed_out': 'Signed out',
  'sso.identity_linked': 'Single sign-on account linked',
  'sso.identity_unlinked': 'Single sign-on account unlinked',
  'sso.link_started': 'Single sign-on linking started',
  'sso.signed_in': 'Signed in with single sign-on',
  'sso.takeover_refused': 'Single sign-on refused: the email belongs to another account',
  'support_access.deals_read': 'Deals read under support access',
  'support_access.expired': 'Support access expired',
  'support_access.granted': 'Support access granted',
  'support_access.revoked': 'Support access revoked',
  'user.signed_out_by_admin': 'Signed out everywhere by a platform admin',
  'user.suspended': 'Account suspended',
  'user.unsuspended': 'Account reinstated',
  'webhook.endpoint_auto_disabled': 'Webhook endpoint disabled after repeated failures',
  'webhook.endpoint_created': 'Webhook endpoint created',
  'webhook.endpoint_deleted': 'Webhook endpoint deleted',
  'webhook.endpoint_updated': 'Webhook endpoint changed',
  'webhook.message_resent': 'Webhook message resent',
  'webhook.messages_recovered': 'Failed webhook messages resent',
  'webhook.secret_rotated': 'Webhook signing secret rotated',
  'webhook.test_sent': 'Webhook test event sent',
} as const satisfies Record<string, string>;

export type AuditAction = keyof typeof AUDIT_ACTION_LABELS;

export function isAuditAction(action: string): action is AuditAction {
  return Object.hasOwn(AUDIT_ACTION_LABELS, action);
}

/**
 * The label of an action as the audit log pages show it. Events written before an action was
 * renamed (or by a newer server than this page) keep their stored name.
 */
export function auditActionLabel(action: string): string {
  return isAuditAction(action) ? AUDIT_ACTION_LABELS[action] : action;
}
