import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as zxcvbnCommon from '@zxcvbn-ts/language-common';
import * as zxcvbnEnglish from '@zxcvbn-ts/language-en';
import { PASSWORD_MAX_BYTES, PASSWORD_MIN_LENGTH } from '../../../../contracts/identity.ts';
import { AppError } from '../../../platform/errors/app-error.ts';

/** zxcvbn score (0–4) a new password needs: 3 = "safely unguessable", ~10^8 guesses or more. */
const MIN_STRENGTH_SCORE = 3;

let estimator: ZxcvbnFactory | null = null;

/** The dictionaries take ~100 ms to load, so they are loaded at the first password set. */
function strengthEstimator(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({
    dictionary: { ...zxcvbnCommon.dictionary, ...zxcvbnEnglish.dictionary },
    graphs: zxcvbnCommon.adjacencyGraphs,
    translations: zxcvbnEnglish.translations,
  });
  return estimator;
}

/**
 * Unicode normalisation (NFC), so the same password typed on two systems that compose accents
 * differently is the same bytes for bcrypt (NIST SP 800-63B §5.1.1.2).
 */
export function normalisePassword(password: string): string {
  return password.normalize('NFC');
}

export function utf8ByteLength(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

/**
 * What a guesser would try from an email or a name: the whole value, the mailbox name, each part
 * and the parts run together (`grace.hopper@example.com` → `grace.hopper`, `gracehopper`, `grace`…).
 */
function personalWords(input: string): string[] {
  const value = input.trim().toLowerCase();
  const local = value.split('@')[0] ?? value;
  const parts = value.split(/[@.\s_+-]+/).filter(Boolean);
  const localParts = local.split(/[.\s_+-]+/).filter(Boolean);
  return [value, local, localParts.join(''), ...parts];
}

/**
 * Refuses a new password that is too short, longer than bcrypt reads (72 UTF-8 bytes: a longer
 * one would be cut silently, so two passwords sharing the first 72 bytes would be equal) or easy
 * to guess: common passwords, keyboard walks, and passwords built from the user's own email or
 * name (`userInputs`). `field` is the request field, for the problem's JSON pointer.
 */
export function checkPasswordPolicy(options: { password: string; userInputs: string[]; field: string }): void {
  const password = normalisePassword(options.password);
  const pointer = `/body/${options.field}`;
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) {
    const message = `Use at least ${PASSWORD_MIN_LENGTH} characters (this one has ${length}).`;
    throw new AppError('weak-password', message, { errors: [{ pointer, message }] });
  }
  const bytes = utf8ByteLength(password);
  if (bytes > PASSWORD_MAX_BYTES) {
    const message = `Passwords can be at most ${PASSWORD_MAX_BYTES} bytes long (this one is ${bytes} bytes in UTF-8; accented letters take 2 bytes, most symbols and emoji 3 or 4). Use a shorter one.`;
    throw new AppError('password-too-long', message, { errors: [{ pointer, message }] });
  }
  const userInputs = options.userInputs.flatMap(personalWords).filter((input) => input.length >= 3);
  const result = strengthEstimator().check(password, [...new Set(userInputs), 'vigil']);
  if (result.score < MIN_STRENGTH_SCORE) {
    const advice = [result.feedback.warning, ...result.feedback.suggestions].filter(
      (line): line is string => typeof line === 'string' && line.length > 0,
    );
    const message = ['This password is too easy to guess.', ...advice].join(' ');
    throw new AppError('weak-password', message, { errors: [{ pointer, message }] });
  }
}
