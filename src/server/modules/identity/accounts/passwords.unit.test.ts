import bcrypt from 'bcrypt';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../../platform/errors/app-error.ts';
import { createPasswordHasher } from './password-hasher.ts';
import { checkPasswordPolicy } from './password-policy.ts';

function policyProblem(password: string, userInputs: string[] = []): AppError | null {
  try {
    checkPasswordPolicy({ password, userInputs, field: 'password' });
    return null;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('password policy', () => {
  it('accepts a strong password of 12 characters up to 72 bytes, 64 characters included', () => {
    expect(policyProblem('Copper-Lantern-Orbit-7419')).toBeNull();
    expect(policyProblem('Qz7!mL2@wR9#')).toBeNull();
    const sixtyFour = 'Vq7#mZ2!pL9@wR4$tK6^bN1&hJ8*cF3(gD5)sA0-eY7+uI2=oP4~qW9?zX6%rT1;';
    expect(sixtyFour).toHaveLength(64);
    expect(policyProblem(sixtyFour)).toBeNull();
  });

  it('refuses fewer than 12 characters', () => {
    expect(policyProblem('Qz7!mL2@wR9')?.code).toBe('weak-password');
    expect(policyProblem('Qz7!mL2@wR9')?.detail).toContain('at least 12 characters');
  });

  it('refuses common and guessable passwords with zxcvbn feedback', () => {
    for (const password of ['password1234', 'iloveyou1234', 'qwertyuiop123', 'aaaaaaaaaaaaaaaa', 'abcdefghijklmnop']) {
      const problem = policyProblem(password);
      expect(problem?.code, password).toBe('weak-password');
    }
    expect(policyProblem('password1234')?.detail).toContain('commonly used password');
  });

  it("refuses passwords built from the user's email or name", () => {
    expect(policyProblem('grace.hopper1906', ['grace.hopper@example.com', 'Grace Hopper'])?.code).toBe('weak-password');
    expect(policyProblem('hedylamarr1914', ['hedy@example.com', 'Hedy Lamarr'])?.code).toBe('weak-password');
  });

  it('refuses more than 72 UTF-8 bytes as password-too-long, saying why', () => {
    const problem = policyProblem(`${'Vq7#mZ2!pL9@wR4$tK6^bN1&hJ8*cF3(gD5)sA0-eY7+uI2=oP4~qW9?zX6%rT1;aB3:nM8_'}x`);
    expect(problem?.code).toBe('password-too-long');
    expect(problem?.detail).toContain('72 bytes');
    expect(problem?.options.errors?.[0]?.pointer).toBe('/body/password');
  });
});

describe('password hasher', () => {
  const hasher = createPasswordHasher({ cost: 10 });

  it('hashes at the configured cost and verifies', async () => {
    const hash = await hasher.hash('Copper-Lantern-Orbit-7419');
    expect(bcrypt.getRounds(hash)).toBe(10);
    expect(await hasher.verify({ password: 'Copper-Lantern-Orbit-7419', hash })).toBe(true);
    expect(await hasher.verify({ password: 'Copper-Lantern-Orbit-7418', hash })).toBe(false);
  });

  it('pays one bcrypt comparison against a dummy hash of the same cost when there is no hash', async () => {
    const compare = vi.spyOn(bcrypt, 'compare');
    expect(await hasher.verify({ password: 'Copper-Lantern-Orbit-7419', hash: null })).toBe(false);
    expect(compare).toHaveBeenCalledTimes(1);
    expect(bcrypt.getRounds(compare.mock.calls[0]![1] as string)).toBe(10);
  });

  it('never matches a password bcrypt would truncate, yet still compares once', async () => {
    const seventyTwo = 'Vq7#mZ2!pL9@wR4$tK6^bN1&hJ8*cF3(gD5)sA0-eY7+uI2=oP4~qW9?zX6%rT1;aB3:nM8_';
    const hash = await hasher.hash(seventyTwo);
    const compare = vi.spyOn(bcrypt, 'compare');
    expect(await hasher.verify({ password: `${seventyTwo}!`, hash })).toBe(false);
    expect(compare).toHaveBeenCalledTimes(1);
    await expect(hasher.hash(`${seventyTwo}!`)).rejects.toMatchObject({ code: 'password-too-long' });
  });

  it('treats composed and decomposed accents as the same password (NFC)', async () => {
    const hash = await hasher.hash('Cre\u0300me-bru\u0302le\u0301e-Ökonomie-42');
    expect(await hasher.verify({ password: 'Crème-brûlée-Ökonomie-42', hash })).toBe(true);
  });

  it('asks for a re-hash below the configured cost only', async () => {
    const cheap = await bcrypt.hash('x', 10);
    expect(createPasswordHasher({ cost: 11 }).needsRehash(cheap)).toBe(true);
    expect(hasher.needsRehash(cheap)).toBe(false);
    expect(hasher.needsRehash('not-a-bcrypt-hash')).toBe(true);
  });
});
