// Brute force on six-digit codes: free attempts, then a lock that doubles per wrong code, capped.
import { describe, expect, it } from 'vitest';
import { lockoutSeconds, secondsUntil } from './mfa-lockout.ts';

describe('MFA lockout policy', () => {
  it('locks from the fifth wrong code, doubling from 30 s, capped at an hour', () => {
    expect([0, 1, 2, 3, 4].map(lockoutSeconds)).toEqual([0, 0, 0, 0, 0]);
    expect([5, 6, 7, 8, 9, 10, 11, 12].map(lockoutSeconds)).toEqual([30, 60, 120, 240, 480, 960, 1920, 3600]);
    expect(lockoutSeconds(1000)).toBe(3600);
  });

  it('rounds the remaining time up, never to zero', () => {
    const now = new Date('2026-03-02T09:00:00Z');
    expect(secondsUntil(new Date(now.getTime() + 29_001), now)).toBe(30);
    expect(secondsUntil(new Date(now.getTime() + 1), now)).toBe(1);
  });
});
