import { describe, expect, it } from 'vitest';
import { type AuditFilters, apiQuery, filtersFromSearch, filtersToSearch, validateFilters } from './audit.ts';

const none: AuditFilters = { action: '', actor: '', targetType: '', targetId: '', range: 'all', from: '', to: '' };

describe('audit log target filter', () => {
  it('keeps the target type and id in the URL and back', () => {
    const filters = { ...none, targetType: 'user', targetId: '01a20500-e62d-7303-9dbf-eb5a2f2b2087' };
    const search = filtersToSearch(filters);
    expect(search.toString()).toBe('targetType=user&targetId=01a20500-e62d-7303-9dbf-eb5a2f2b2087');
    expect(filtersFromSearch(search)).toEqual(filters);
  });

  it('sends them to the API as targetType and targetId', () => {
    const params = apiQuery({ ...none, targetType: ' invitation ', targetId: ' abc ' }, Date.now());
    expect(params.get('targetType')).toBe('invitation');
    expect(params.get('targetId')).toBe('abc');
    expect(apiQuery(none, Date.now()).has('targetType')).toBe(false);
  });

  it('explains a malformed type, and an id without a type', () => {
    expect(validateFilters({ ...none, targetType: 'User Name' }).targetType).toMatch(/lowercase/);
    expect(validateFilters({ ...none, targetId: 'abc' }).targetType).toMatch(/type/);
    expect(validateFilters({ ...none, targetType: 'session', targetId: 'abc' })).toEqual({});
  });
});
