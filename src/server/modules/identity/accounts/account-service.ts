import type { MeResponse } from '../../../../contracts/identity.ts';
import type { Caller } from '../../../platform/authz/caller.ts';
import {
  type AccountServiceDependencies,
  type AuditedUnit,
  createAccountContext,
  type RequestMeta,
} from './account-context.ts';
import { changePassword } from './change-password.ts';
import { deleteAccount } from './delete-account.ts';
import { completePasswordReset } from './complete-password-reset.ts';
import { provePassword } from './prove-password.ts';
import { readProfile } from './read-profile.ts';
import { requestPasswordReset } from './request-password-reset.ts';
import { resendVerification } from './resend-verification.ts';
import { type SignInResult, signIn } from './sign-in.ts';
import { signUp } from './sign-up.ts';
import { verifyEmail } from './verify-email.ts';

export type AccountService = {
  /** DELETE /api/me: password (and step-up with MFA), then every row that names the user. */
  deleteAccount(input: { caller: Caller; password: string; meta: RequestMeta; unit: AuditedUnit }): Promise<void>;
  signUp(input: { email: string; password: string; displayName: string | null; meta: RequestMeta }): Promise<void>;
  verifyEmail(input: { token: string; unit: AuditedUnit }): Promise<void>;
  /** Returns at once; the work happens in the background (see flush). */
  resendVerification(input: { email: string; meta: RequestMeta }): void;
  signIn(input: {
    email: string;
    password: string;
    meta: RequestMeta;
    audit: Pick<AuditedUnit['audit'], 'actor' | 'metadata'>;
  }): Promise<SignInResult>;
  /** Returns at once; the work happens in the background (see flush). */
  requestPasswordReset(input: { email: string; meta: RequestMeta }): void;
  completePasswordReset(input: {
    token: string;
    newPassword: string;
    meta: RequestMeta;
    unit: AuditedUnit;
  }): Promise<void>;
  changePassword(input: {
    caller: Caller;
    currentPassword: string;
    newPassword: string;
    meta: RequestMeta;
    unit: AuditedUnit;
  }): Promise<void>;
  readProfile(input: { userId: string; requestId: string; activeOrgId?: string | null }): Promise<MeResponse>;
  /** Throws `invalid-credentials` unless `password` is the account's (SSO linking); counts as a guess. */
  provePassword(input: { userId: string; password: string; meta: RequestMeta }): Promise<void>;
  /** Computes the dummy bcrypt hash now rather than at the first unknown-email sign-in. */
  warmUp(): Promise<void>;
  /** Waits for background work and mail deliveries (tests, shutdown). */
  flush(): Promise<void>;
};

/** The accounts module: sign-up, verification, password sign-in, reset and change, profile. */
export function createAccountService(dependencies: AccountServiceDependencies): AccountService {
  const context = createAccountContext(dependencies);
  return {
    signUp: (input) => signUp({ context, ...input }),
    verifyEmail: (input) => verifyEmail({ context, ...input }),
    resendVerification: (input) => resendVerification({ context, ...input }),
    signIn: (input) => signIn({ context, ...input }),
    requestPasswordReset: (input) => requestPasswordReset({ context, ...input }),
    completePasswordReset: (input) => completePasswordReset({ context, ...input }),
    changePassword: (input) => changePassword({ context, ...input }),
    readProfile: (input) => readProfile({ database: context.database, ...input }),
    provePassword: (input) => provePassword({ context, ...input }),
    deleteAccount: (input) => deleteAccount({ context, ...input }),
    warmUp: () => context.hasher.warmUp(),
    async flush() {
      await context.tasks.flush();
      await context.mailer.flush();
    },
  };
}
