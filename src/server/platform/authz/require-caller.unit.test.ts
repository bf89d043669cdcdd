// Threat: a handler that trusts a caller the pipeline did not check (a misdeclared route), acting
// anonymously, without a session, in another organisation or as a platform admin it is not.
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.ts';
import type { Caller } from './caller.ts';
import {
  requireMember,
  requirePlatformAdmin,
  requireSession,
  requireSignedIn,
  SIGN_IN_REQUIRED,
} from './require-caller.ts';

const orgId = '01900000-0000-7000-8000-000000000001';
const otherOrgId = '01900000-0000-7000-8000-000000000002';
const member: Caller = {
  userId: '01900000-0000-7000-8000-0000000000aa',
  sessionId: '01900000-0000-7000-8000-0000000000bb',
  platformAdmin: false,
  amr: ['pwd'],
  membership: { orgId, role: 'builder' },
};

function problemOf(run: () => unknown): { code: string; detail: string | undefined } {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return { code: error.code, detail: error.detail };
    throw error;
  }
  throw new Error('expected an AppError');
}

describe('caller requirements', () => {
  it('refuses an anonymous caller with the pipeline’s own 401', () => {
    for (const check of [
      requireSignedIn,
      requireSession,
      requirePlatformAdmin,
      (caller: Caller | null) => requireMember(caller, orgId),
    ]) {
      expect(problemOf(() => check(null))).toEqual({ code: 'unauthenticated', detail: SIGN_IN_REQUIRED });
    }
  });

  it('returns the signed-in caller', () => {
    expect(requireSignedIn(member)).toBe(member);
  });

  it('requires a session where the route is about one', () => {
    expect(requireSession(member).sessionId).toBe(member.sessionId);
    expect(problemOf(() => requireSession({ ...member, sessionId: null }))).toEqual({
      code: 'unauthenticated',
      detail: SIGN_IN_REQUIRED,
    });
  });

  it('answers 404 to anyone who is not a member of the organisation asked for', () => {
    expect(requireMember(member, orgId)).toEqual({ userId: member.userId, orgId, role: 'builder' });
    expect(problemOf(() => requireMember(member, otherOrgId)).code).toBe('not-found');
    expect(problemOf(() => requireMember(member, undefined)).code).toBe('not-found');
    expect(problemOf(() => requireMember({ ...member, membership: null }, orgId)).code).toBe('not-found');
  });

  it('lets only a platform admin whose session passed TOTP through', () => {
    const admin: Caller = { ...member, platformAdmin: true, amr: ['pwd', 'otp'], membership: null };
    expect(requirePlatformAdmin(admin)).toBe(admin);
    expect(problemOf(() => requirePlatformAdmin({ ...admin, platformAdmin: false })).code).toBe('forbidden');
    expect(problemOf(() => requirePlatformAdmin({ ...admin, amr: ['pwd'] })).code).toBe('forbidden');
  });
});
