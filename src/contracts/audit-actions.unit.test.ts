import { describe, expect, it } from 'vitest';
import { AUDIT_ACTION_LABELS, auditActionLabel, isAuditAction } from './audit-actions.ts';
import { auditFilterSchema } from './audit.ts';

const actions = Object.keys(AUDIT_ACTION_LABELS);

describe('audit action catalogue', () => {
  it('names every action so the audit log filter can find it (`area.what_happened`)', () => {
    for (const action of actions) {
      expect(action).toMatch(/^[a-z_]+\.[a-z_]+$/);
      expect(auditFilterSchema.safeParse({ action }).success, action).toBe(true);
    }
  });

  it('gives every action a label of its own', () => {
    const labels = Object.values(AUDIT_ACTION_LABELS);
    for (const label of labels) expect(label.trim().length).toBeGreaterThan(3);
    expect(new Set(labels).size).toBe(labels.length);
  });

  it('shows the label of a known action and the stored name of an unknown one', () => {
    expect(auditActionLabel('support_access.granted')).toBe('Support access granted');
    expect(auditActionLabel('support_access.expired')).toBe('Support access expired');
    expect(auditActionLabel('integration.connected')).toBe('integration.connected');
    expect(isAuditAction('toString')).toBe(false);
    expect(auditActionLabel('toString')).toBe('toString');
  });
});
