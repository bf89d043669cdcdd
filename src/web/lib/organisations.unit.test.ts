import { describe, expect, it } from 'vitest';
import type { MeResponse } from '../../contracts/identity.ts';
import { can, currentOrganisationId } from './organisations.ts';

const A = '01a20500-e62d-7303-9dbf-eb5a2f2b2081';
const B = '01a20500-e62d-7303-9dbf-eb5a2f2b2082';
const me: MeResponse = {
  id: '01a20500-e62d-7303-9dbf-eb5a2f2b2080',
  email: 'ada@example.com',
  displayName: null,
  emailVerified: true,
  platformAdmin: false,
  activeOrgId: B,
  memberships: [
    { orgId: A, orgName: 'Acme', role: 'org_admin' },
    { orgId: B, orgName: 'Beta', role: 'builder' },
  ],
};

describe('role-aware navigation', () => {
  it('shows controls from the shared permission matrix', () => {
    expect(can(me, A, 'members:manage')).toBe(true);
    expect(can(me, B, 'members:manage')).toBe(false);
    expect(can(me, B, 'org:read')).toBe(true);
    expect(can(me, B, 'audit:read')).toBe(false);
    expect(can(me, '01a20500-e62d-7303-9dbf-eb5a2f2b2089', 'org:read')).toBe(false);
    expect(can(null, A, 'org:read')).toBe(false);
  });

  it('shows the organisation in the URL, else the session’s, else the first', () => {
    expect(currentOrganisationId(me, A)).toBe(A);
    expect(currentOrganisationId(me, undefined)).toBe(B);
    expect(currentOrganisationId(me, '01a20500-e62d-7303-9dbf-eb5a2f2b2089')).toBe(B);
    expect(currentOrganisationId({ ...me, activeOrgId: null }, undefined)).toBe(A);
    expect(currentOrganisationId({ ...me, memberships: [] }, undefined)).toBeNull();
  });
});
