// Recovery codes: enough entropy that a keyed fast hash is safe, typed forgivingly, hashed per key.
import { describe, expect, it } from 'vitest';
import {
  hashRecoveryCode,
  newRecoveryCode,
  newRecoveryCodes,
  normaliseRecoveryCode,
  RECOVERY_CODE_COUNT,
} from './recovery-codes.ts';

describe('recovery codes', () => {
  it('are ten distinct xxxx-xxxx-xxxx codes over a 32-symbol alphabet (60 bits)', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(new Set(codes).size).toBe(RECOVERY_CODE_COUNT);
    for (const code of codes)
      expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$/);
  });

  it('use every symbol of the alphabet roughly uniformly', () => {
    const counts = new Map<string, number>();
    for (let index = 0; index < 2000; index++) {
      for (const symbol of newRecoveryCode().replaceAll('-', '')) counts.set(symbol, (counts.get(symbol) ?? 0) + 1);
    }
    expect(counts.size).toBe(32);
    // 24 000 symbols / 32 = 750 expected each; a biased mapping would be far off.
    for (const value of counts.values()) expect(value).toBeGreaterThan(550);
  });

  it('normalise case, spaces, dashes and look-alike letters; refuse anything else', () => {
    expect(normaliseRecoveryCode(' ABCD-EFGH-JK01 ')).toBe('abcdefghjk01');
    expect(normaliseRecoveryCode('abcd efgh jkO1')).toBe('abcdefghjk01');
    expect(normaliseRecoveryCode('abcd-efgh-jkil')).toBe('abcdefghjk11');
    expect(normaliseRecoveryCode('abcd-efgh-jk0')).toBeNull();
    expect(normaliseRecoveryCode('abcd-efgh-jk0uu')).toBeNull();
    expect(normaliseRecoveryCode("abcd-efgh-jk0'")).toBeNull();
  });

  it('hash under a key: same code and key → same hash; another key → another hash', () => {
    const key = Buffer.alloc(32, 1);
    const hash = hashRecoveryCode({ key, code: 'abcdefghjk01' });
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashRecoveryCode({ key, code: 'abcdefghjk01' })).toBe(hash);
    expect(hashRecoveryCode({ key: Buffer.alloc(32, 2), code: 'abcdefghjk01' })).not.toBe(hash);
  });
});
