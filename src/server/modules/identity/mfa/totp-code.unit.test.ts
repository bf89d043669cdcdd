// RFC 6238 as authenticator apps compute it: the window is exactly ±1 step, time comes from the
// caller (never Date.now()), and the otpauth URI carries the parameters apps honour.
import { Secret, type TOTP, URI } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { findTotpStep, newTotpSecret, totpCodeAt, totpStepAt, totpUri } from './totp-code.ts';

const now = new Date('2026-03-02T09:00:10Z');
const at = (seconds: number) => new Date(now.getTime() + seconds * 1000);

describe('TOTP codes', () => {
  it('makes 160-bit secrets, different each time', () => {
    const secret = newTotpSecret();
    expect(Secret.fromBase32(secret).bytes.length).toBe(20);
    expect(newTotpSecret()).not.toBe(secret);
  });

  it('matches the RFC 6238 SHA-1 test vector', () => {
    // RFC 6238 Appendix B: secret "12345678901234567890", T = 59 s → 94287082 (8 digits); 6 digits → 287082.
    const secretBase32 = new Secret({ buffer: new TextEncoder().encode('12345678901234567890').buffer }).base32;
    expect(totpCodeAt({ secretBase32, time: new Date(59_000) })).toBe('287082');
    expect(findTotpStep({ secretBase32, code: '287082', now: new Date(59_000) })).toBe(1);
  });

  it('accepts the previous, current and next step and returns which one matched', () => {
    const secretBase32 = newTotpSecret();
    const step = totpStepAt(now);
    expect(findTotpStep({ secretBase32, code: totpCodeAt({ secretBase32, time: at(-30) }), now })).toBe(step - 1);
    expect(findTotpStep({ secretBase32, code: totpCodeAt({ secretBase32, time: now }), now })).toBe(step);
    expect(findTotpStep({ secretBase32, code: totpCodeAt({ secretBase32, time: at(30) }), now })).toBe(step + 1);
  });

  it('refuses codes two steps away, malformed codes and another secret’s codes', () => {
    const secretBase32 = newTotpSecret();
    for (const offset of [-60, 60, -90, 90]) {
      const code = totpCodeAt({ secretBase32, time: at(offset) });
      // A code of a far step can coincide with a near one (1 in 10^6 per step); skip that case.
      const nearCodes = [-30, 0, 30].map((near) => totpCodeAt({ secretBase32, time: at(near) }));
      if (!nearCodes.includes(code)) expect(findTotpStep({ secretBase32, code, now })).toBeNull();
    }
    expect(findTotpStep({ secretBase32, code: '12345', now })).toBeNull();
    expect(findTotpStep({ secretBase32, code: '1234567', now })).toBeNull();
    const other = newTotpSecret();
    const otherCode = totpCodeAt({ secretBase32: other, time: now });
    const ownCodes = [-30, 0, 30].map((near) => totpCodeAt({ secretBase32, time: at(near) }));
    if (!ownCodes.includes(otherCode)) expect(findTotpStep({ secretBase32, code: otherCode, now })).toBeNull();
  });

  it('writes an otpauth URI with SHA1, 6 digits, 30 s, issuer and account', () => {
    const secretBase32 = newTotpSecret();
    const uri = totpUri({ secretBase32, issuer: 'Vigil', accountName: 'ada@example.test' });
    const parsed = URI.parse(uri) as TOTP;
    expect(parsed.algorithm).toBe('SHA1');
    expect(parsed.digits).toBe(6);
    expect(parsed.period).toBe(30);
    expect(parsed.issuer).toBe('Vigil');
    expect(parsed.label).toBe('ada@example.test');
    expect(parsed.secret.base32).toBe(secretBase32);
  });
});
