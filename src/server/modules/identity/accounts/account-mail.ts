import type { Config } from '../../../config.ts';
import type { MailMessage } from '../mail/create-mailer.ts';

/**
 * Links put the token in the fragment (`#token=`), which browsers never send to a server: it
 * stays out of access logs, proxies and Referer headers. The web app reads it from the hash.
 */
export function accountLinks(config: Pick<Config, 'publicUrl' | 'port'>) {
  const base = (config.publicUrl ?? `http://localhost:${config.port}`).replace(/\/+$/, '');
  return {
    verifyEmail: (token: string) => `${base}/verify-email#token=${token}`,
    resetPassword: (token: string) => `${base}/reset-password#token=${token}`,
    forgotPassword: () => `${base}/forgot-password`,
    signIn: () => `${base}/sign-in`,
  };
}

export type AccountLinks = ReturnType<typeof accountLinks>;

function greeting(displayName: string | null): string {
  return displayName ? `Hello ${displayName},` : 'Hello,';
}

export function verificationMail(options: { to: string; displayName: string | null; verifyLink: string }): MailMessage {
  return {
    to: options.to,
    subject: 'Verify your email address for Vigil',
    text: [
      greeting(options.displayName),
      '',
      'Confirm this email address to finish setting up your Vigil account:',
      options.verifyLink,
      '',
      'The link works once and expires in 24 hours.',
      'If you did not sign up for Vigil, ignore this message: without the link the account stays unusable.',
    ].join('\n'),
  };
}

/** Sent instead of a second account when someone signs up with an email that already has one. */
export function accountExistsMail(options: {
  to: string;
  displayName: string | null;
  resetLink: string;
  verifyLink: string | null;
  signInLink: string;
}): MailMessage {
  return {
    to: options.to,
    subject: 'Someone tried to sign up to Vigil with your email address',
    text: [
      greeting(options.displayName),
      '',
      'Someone (hopefully you) just tried to create a Vigil account with this email address, but it already has one. No new account was created and nothing was changed.',
      '',
      `Sign in: ${options.signInLink}`,
      ...(options.verifyLink
        ? ['', 'Your email address is not verified yet; verify it here (valid 24 hours):', options.verifyLink]
        : []),
      '',
      'Forgot your password? Choose a new one here (the link works once, for 30 minutes):',
      options.resetLink,
      '',
      'If this was not you, you can ignore this message.',
    ].join('\n'),
  };
}

export function passwordResetMail(options: { to: string; displayName: string | null; resetLink: string }): MailMessage {
  return {
    to: options.to,
    subject: 'Reset your Vigil password',
    text: [
      greeting(options.displayName),
      '',
      'Choose a new password for your Vigil account here:',
      options.resetLink,
      '',
      'The link works once and expires in 30 minutes. Choosing a new password signs you out everywhere.',
      'If you did not ask for this, ignore this message: your password stays as it is.',
    ].join('\n'),
  };
}

/** Tells the owner their password changed, so a change they did not make does not go unnoticed. */
export function passwordChangedMail(options: {
  to: string;
  displayName: string | null;
  how: 'reset' | 'change';
  forgotPasswordLink: string;
}): MailMessage {
  return {
    to: options.to,
    subject: 'Your Vigil password was changed',
    text: [
      greeting(options.displayName),
      '',
      options.how === 'reset'
        ? 'The password of your Vigil account was just reset with an emailed link. Every session was signed out.'
        : 'The password of your Vigil account was just changed. Every other session was signed out.',
      '',
      `If this was not you, reset your password now: ${options.forgotPasswordLink}`,
      'and tell your administrator.',
    ].join('\n'),
  };
}
