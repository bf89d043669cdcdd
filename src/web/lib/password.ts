import { queryOptions } from '@tanstack/react-query';
import { PASSWORD_MAX_BYTES, PASSWORD_MIN_LENGTH, passwordByteLength } from '../../contracts/identity.ts';

/**
 * The password policy as the server applies it (src/server/modules/identity/accounts/password-policy.ts):
 * at least 12 characters, at most 72 bytes of UTF-8, and a zxcvbn score of 3 or more with the
 * user's email and name counted as guessable. The form checks first so people see why before
 * submitting; the server checks again and its answer wins.
 */

export const MIN_STRENGTH_SCORE = 3;

export interface StrengthResult {
  score: 0 | 1 | 2 | 3 | 4;
  /** Why it is weak and how to improve it, as zxcvbn words it. */
  advice: string[];
}

export interface StrengthEstimator {
  check(password: string, userInputs: string[]): StrengthResult;
}

/** The dictionaries are large, so they load on the pages that ask for a new password. */
export const strengthEstimatorQuery = queryOptions({
  queryKey: ['password-strength-estimator'],
  queryFn: async (): Promise<StrengthEstimator> => {
    const [core, common, english] = await Promise.all([
      import('@zxcvbn-ts/core'),
      import('@zxcvbn-ts/language-common'),
      import('@zxcvbn-ts/language-en'),
    ]);
    const factory = new core.ZxcvbnFactory({
      dictionary: { ...common.dictionary, ...english.dictionary },
      graphs: common.adjacencyGraphs,
      translations: english.translations,
    });
    return {
      check(password, userInputs) {
        const result = factory.check(password, [...guessableWords(userInputs), 'vigil']);
        const advice = [result.feedback.warning, ...result.feedback.suggestions].filter(
          (line): line is string => typeof line === 'string' && line.length > 0,
        );
        return { score: result.score, advice };
      },
    };
  },
  staleTime: Number.POSITIVE_INFINITY,
  gcTime: Number.POSITIVE_INFINITY,
  structuralSharing: false,
  retry: 1,
});

/** What a guesser would try from an email or a name (mirrors the server's list). */
function guessableWords(inputs: string[]): string[] {
  const words = inputs.flatMap((input) => {
    const value = input.trim().toLowerCase();
    const local = value.split('@')[0] ?? value;
    const parts = value.split(/[@.\s_+-]+/).filter(Boolean);
    const localParts = local.split(/[.\s_+-]+/).filter(Boolean);
    return [value, local, localParts.join(''), ...parts];
  });
  return [...new Set(words.filter((word) => word.length >= 3))];
}

export interface PasswordCheck {
  length: number;
  bytes: number;
  longEnough: boolean;
  shortEnough: boolean;
  /** Null while the estimator loads (the server still checks). */
  strength: StrengthResult | null;
  strongEnough: boolean | null;
}

export function checkPassword(password: string, estimator: StrengthEstimator | undefined, userInputs: string[]) {
  const normalised = password.normalize('NFC');
  const length = [...normalised].length;
  const bytes = passwordByteLength(password);
  const strength = estimator && length > 0 ? estimator.check(normalised, userInputs) : null;
  return {
    length,
    bytes,
    longEnough: length >= PASSWORD_MIN_LENGTH,
    shortEnough: bytes <= PASSWORD_MAX_BYTES,
    strength,
    strongEnough: strength ? strength.score >= MIN_STRENGTH_SCORE : null,
  } satisfies PasswordCheck;
}

/** The message to show when a new password cannot be submitted, or null when it can. */
export function passwordProblem(check: PasswordCheck): string | null {
  if (check.length === 0) return 'Choose a password.';
  if (!check.longEnough) {
    return `Use at least ${PASSWORD_MIN_LENGTH} characters (this one has ${check.length}).`;
  }
  if (!check.shortEnough) {
    return `Passwords can be at most ${PASSWORD_MAX_BYTES} bytes long (this one is ${check.bytes} bytes; accented letters take 2 bytes, most symbols and emoji 3 or 4).`;
  }
  if (check.strongEnough === false) {
    return ['This password is too easy to guess.', ...(check.strength?.advice ?? [])].join(' ');
  }
  return null;
}

export const strengthLabels = ['Very weak', 'Weak', 'Fair', 'Strong', 'Very strong'] as const;
