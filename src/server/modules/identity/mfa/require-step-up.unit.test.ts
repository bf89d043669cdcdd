// Step-up: a stolen or unattended session must not reach sensitive actions without a fresh code.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../platform/errors/app-error.ts';
import { requireStepUp } from './require-step-up.ts';

const now = new Date('2026-03-02T09:00:00Z');
const minutesAgo = (minutes: number) => new Date(now.getTime() - minutes * 60_000);

describe('requireStepUp', () => {
  it('allows a code entered within the last 10 minutes', () => {
    expect(() => requireStepUp({ claims: { amr: ['pwd', 'otp'], otpAt: minutesAgo(0) }, now })).not.toThrow();
    expect(() => requireStepUp({ claims: { amr: ['pwd', 'otp'], otpAt: minutesAgo(10) }, now })).not.toThrow();
  });

  it('refuses with step-up-required: stale code, no otp, no otp time, otp time from the future', () => {
    for (const claims of [
      { amr: ['pwd', 'otp'], otpAt: minutesAgo(10.01) },
      { amr: ['pwd', 'otp'], otpAt: minutesAgo(11) },
      { amr: ['pwd'], otpAt: minutesAgo(1) },
      { amr: ['pwd', 'otp'], otpAt: null },
      { amr: ['pwd', 'otp'], otpAt: minutesAgo(-5) },
    ]) {
      let refusal: unknown = null;
      try {
        requireStepUp({ claims, now });
      } catch (error) {
        refusal = error;
      }
      expect(refusal, JSON.stringify(claims)).toBeInstanceOf(AppError);
      expect((refusal as AppError).code).toBe('step-up-required');
      expect((refusal as AppError).status).toBe(403);
    }
  });
});
