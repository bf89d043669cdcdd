import { and, count, eq, isNull, lt, or } from 'drizzle-orm';
import type { Clock } from '../../../platform/clock.ts';
import type { Keyring } from '../../../platform/crypto/keyring.ts';
import type { Database, Transaction } from '../../../platform/db/database.ts';
import { transactionQuery } from '../../../platform/db/query-rows.ts';
import { withPlatformTransaction } from '../../../platform/db/tenant-transaction.ts';
import { AppError } from '../../../platform/errors/app-error.ts';
import { type AuditActor, appendAuditEvent } from '../../audit/append-audit-event.ts';
import { mfaTotp, recoveryCodes } from './mfa-tables.ts';
import { lockoutSeconds, secondsUntil } from './mfa-lockout.ts';
import { hashRecoveryCode, normaliseRecoveryCode } from './recovery-codes.ts';
import { recoveryCodeKeyPlace, totpSecretPlace } from './seal-places.ts';
import { findTotpStep } from './totp-code.ts';

/** What the person typed: a code from the authenticator app, or one of their recovery codes. */
export type SecondFactorProof = { code: string } | { recoveryCode: string };

export type SecondFactorMethod = 'totp' | 'recovery_code';

export type VerificationOutcome =
  | {
      ok: true;
      method: SecondFactorMethod;
      /** The sealed secret the code was checked against (confirming binds to exactly this one). */
      secretSealed: string;
      /** Unused recovery codes left, after a recovery code was spent. */
      recoveryCodesRemaining: number | null;
    }
  | { ok: false; reason: 'invalid'; method: SecondFactorMethod; lockedForSeconds: number }
  | { ok: false; reason: 'locked'; method: SecondFactorMethod; lockedForSeconds: number }
  /** No confirmed TOTP (`expect: 'confirmed'`) or no pending one (`expect: 'pending'`). */
  | { ok: false; reason: 'wrong-state'; method: SecondFactorMethod };

/**
 * Checks a second-factor code for a user and records the outcome, in one transaction that holds
 * the user's mfa_totp row lock, so that:
 * - replay: a TOTP step is accepted only if it is later than the last accepted one, claimed with
 *   a conditional UPDATE (two concurrent submissions of one code: exactly one wins);
 * - brute force: concurrent guesses are counted one after another, so a burst cannot slip more
 *   than MFA_FREE_ATTEMPTS guesses past the lockout; recovery codes count against the same limit;
 * - a recovery code is spent by a conditional UPDATE (single use, also under concurrency).
 * The outcome is committed whatever it is (a failed attempt must count), so this returns a result
 * instead of throwing; `secondFactorError` turns a failure into the problem to answer.
 *
 * `expect: 'pending'` checks the first code of a new enrolment against the unconfirmed secret
 * (TOTP codes only); `'confirmed'` is sign-in and step-up.
 */
export async function verifySecondFactor(options: {
  database: Database;
  keyring: Keyring;
  clock: Clock;
  userId: string;
  proof: SecondFactorProof;
  expect: 'confirmed' | 'pending';
  requestId: string;
  /** Who is asking (ip, user agent) for the `mfa.recovery_code_used` event. */
  actor: Pick<AuditActor, 'ip' | 'userAgent'>;
  /**
   * Runs in the same transaction once the factor is accepted, e.g. consuming the sign-in
   * challenge. Throwing rolls the acceptance back too: a challenge lost to a concurrent completion
   * neither burns the TOTP step nor spends the recovery code.
   */
  onAccepted?: (transaction: Transaction) => Promise<void>;
}): Promise<VerificationOutcome> {
  const { database, keyring, clock, userId, proof, expect } = options;
  const method: SecondFactorMethod = 'code' in proof ? 'totp' : 'recovery_code';
  const scope = { userId, requestId: options.requestId };
  const inExpectedState = (row: { confirmedAt: Date | null } | undefined) =>
    row !== undefined && (expect === 'confirmed') === (row.confirmedAt !== null);

  // A key rotation re-seals the row between the snapshot and the lock (same secret, new
  // ciphertext): look again. A second mismatch in a row is a real change (re-enrolment).
  for (let attempt = 1; ; attempt++) {
    const outcome = await verifyOnce();
    if (outcome !== 'stale') return outcome;
    if (attempt === 2) return { ok: false, reason: 'wrong-state', method };
  }

  async function verifyOnce(): Promise<VerificationOutcome | 'stale'> {
    // Secrets are opened before the locking transaction: the keyring may read data_keys, and on
    // PGlite (one connection) a query outside an open transaction would wait for it forever.
    const [snapshot] = await withPlatformTransaction(database, scope, (transaction) =>
      transaction
        .select({
          confirmedAt: mfaTotp.confirmedAt,
          secretSealed: mfaTotp.secretSealed,
          recoveryCodeKeySealed: mfaTotp.recoveryCodeKeySealed,
        })
        .from(mfaTotp)
        .where(eq(mfaTotp.userId, userId)),
    );
    if (!snapshot || !inExpectedState(snapshot) || (method === 'recovery_code' && expect === 'pending')) {
      return { ok: false, reason: 'wrong-state', method };
    }
    const secretBase32 =
      method === 'totp' ? await keyring.openText(snapshot.secretSealed, totpSecretPlace(userId)) : null;
    const recoveryKey =
      method === 'recovery_code'
        ? await keyring.open(snapshot.recoveryCodeKeySealed, recoveryCodeKeyPlace(userId))
        : null;

    return withPlatformTransaction(database, scope, async (transaction): Promise<VerificationOutcome | 'stale'> => {
      const [row] = await transaction.select().from(mfaTotp).where(eq(mfaTotp.userId, userId)).for('update');
      if (!row || !inExpectedState(row)) return { ok: false, reason: 'wrong-state', method };
      // Re-sealed (rotation) or re-enrolled between the snapshot and the lock: the opened secret may be stale.
      if (row.secretSealed !== snapshot.secretSealed || row.recoveryCodeKeySealed !== snapshot.recoveryCodeKeySealed) {
        return 'stale';
      }
      const now = clock.now();
      if (row.lockedUntil && row.lockedUntil > now) {
        return { ok: false, reason: 'locked', method, lockedForSeconds: secondsUntil(row.lockedUntil, now) };
      }

      let accepted = false;
      let recoveryCodesRemaining: number | null = null;
      if ('code' in proof && secretBase32 !== null) {
        const step = findTotpStep({ secretBase32, code: proof.code, now });
        if (step !== null) {
          const claimed = await transaction
            .update(mfaTotp)
            .set({ lastUsedStep: step, failedAttempts: 0, lockedUntil: null })
            .where(and(eq(mfaTotp.userId, userId), or(isNull(mfaTotp.lastUsedStep), lt(mfaTotp.lastUsedStep, step))))
            .returning({ userId: mfaTotp.userId });
          accepted = claimed.length === 1;
        }
      } else if ('recoveryCode' in proof && recoveryKey !== null) {
        const code = normaliseRecoveryCode(proof.recoveryCode);
        if (code !== null) {
          const spent = await transaction
            .update(recoveryCodes)
            .set({ usedAt: now })
            .where(
              and(
                eq(recoveryCodes.userId, userId),
                eq(recoveryCodes.codeHash, hashRecoveryCode({ key: recoveryKey, code })),
                isNull(recoveryCodes.usedAt),
              ),
            )
            .returning({ id: recoveryCodes.id });
          if (spent.length === 1) {
            accepted = true;
            await transaction
              .update(mfaTotp)
              .set({ failedAttempts: 0, lockedUntil: null })
              .where(eq(mfaTotp.userId, userId));
            const [left] = await transaction
              .select({ value: count() })
              .from(recoveryCodes)
              .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)));
            recoveryCodesRemaining = left?.value ?? 0;
            // Its own event (in this transaction): a spent recovery code means the authenticator may
            // be lost, or a code sheet leaked; the security page and the operator should see it.
            await appendAuditEvent(transactionQuery(transaction), {
              orgId: null,
              actor: { userId, role: null, ip: options.actor.ip, userAgent: options.actor.userAgent },
              action: 'mfa.recovery_code_used',
              outcome: 'success',
              target: { type: 'user', id: userId },
              metadata: { recoveryCodesRemaining },
              requestId: options.requestId,
              occurredAt: now,
            });
          }
        }
      }
      if (accepted) {
        await options.onAccepted?.(transaction);
        return { ok: true, method, secretSealed: row.secretSealed, recoveryCodesRemaining };
      }

      // The row is locked, so this count is exact even under a burst of concurrent guesses.
      const failedAttempts = row.failedAttempts + 1;
      const lockedForSeconds = lockoutSeconds(failedAttempts);
      await transaction
        .update(mfaTotp)
        .set({
          failedAttempts,
          lockedUntil: lockedForSeconds > 0 ? new Date(now.getTime() + lockedForSeconds * 1000) : null,
        })
        .where(eq(mfaTotp.userId, userId));
      return { ok: false, reason: 'invalid', method, lockedForSeconds };
    });
  }
}

/** The problem to answer for a failed verification. */
export function secondFactorError(
  outcome: Exclude<VerificationOutcome, { ok: true }>,
  expect: 'confirmed' | 'pending',
): AppError {
  switch (outcome.reason) {
    case 'locked':
      return new AppError('mfa-locked', `Too many wrong codes. Try again in ${outcome.lockedForSeconds} seconds.`, {
        headers: { 'retry-after': String(outcome.lockedForSeconds) },
      });
    case 'invalid':
      return outcome.lockedForSeconds > 0
        ? new AppError(
            'invalid-mfa-code',
            `That code is not valid. Too many wrong codes: try again in ${outcome.lockedForSeconds} seconds.`,
            { headers: { 'retry-after': String(outcome.lockedForSeconds) } },
          )
        : new AppError(
            'invalid-mfa-code',
            outcome.method === 'totp'
              ? 'That code is not valid. Enter the current code from your authenticator app (each code works once).'
              : 'That recovery code is not valid or was already used.',
          );
    case 'wrong-state':
      return expect === 'confirmed'
        ? new AppError('conflict', 'Multi-factor authentication is not turned on for this account.')
        : new AppError('conflict', 'No authenticator enrolment is pending: start enrolment again.');
  }
}
