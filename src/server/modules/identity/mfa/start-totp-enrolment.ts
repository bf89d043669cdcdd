import { randomBytes } from 'node:crypto';
import { eq, isNull } from 'drizzle-orm';
import QRCode from 'qrcode';
import type { TotpEnrolment } from '../../../../contracts/mfa.ts';
import type { Clock } from '../../../platform/clock.ts';
import type { Keyring } from '../../../platform/crypto/keyring.ts';
import { users } from '../../../platform/db/schema.ts';
import { AppError } from '../../../platform/errors/app-error.ts';
import { mfaTotp } from './mfa-tables.ts';
import type { PlatformRun } from './platform-run.ts';
import { recoveryCodeKeyPlace, totpSecretPlace } from './seal-places.ts';
import { newTotpSecret, totpUri } from './totp-code.ts';

/**
 * Creates (or replaces) the user's pending TOTP secret, sealed at rest, and returns what an
 * authenticator app needs. Pending secrets never count as MFA; `confirmTotpEnrolment` turns one
 * on. Refused while a confirmed one exists: replacing it must go through disabling, which needs a
 * fresh code (step-up), or anyone holding a session could swap the victim's authenticator.
 * The failure counter and last used step are kept across re-enrolment, so starting again cannot
 * reset a lockout.
 */
export async function startTotpEnrolment(options: {
  keyring: Keyring;
  clock: Clock;
  userId: string;
  issuer: string;
  run: PlatformRun;
}): Promise<TotpEnrolment> {
  const { keyring, userId, issuer } = options;
  const secretBase32 = newTotpSecret();
  // Sealed before the transaction: the keyring may query data_keys (see verify-second-factor.ts).
  const secretSealed = await keyring.seal(secretBase32, totpSecretPlace(userId));
  const recoveryCodeKeySealed = await keyring.seal(randomBytes(32), recoveryCodeKeyPlace(userId));
  const now = options.clock.now();

  const accountName = await options.run(async (transaction) => {
    const [user] = await transaction.select({ email: users.email }).from(users).where(eq(users.id, userId));
    if (!user) throw new AppError('not-found', 'The account no longer exists.');
    const written = await transaction
      .insert(mfaTotp)
      .values({ userId, secretSealed, recoveryCodeKeySealed, createdAt: now })
      .onConflictDoUpdate({
        target: mfaTotp.userId,
        set: { secretSealed, recoveryCodeKeySealed, createdAt: now },
        setWhere: isNull(mfaTotp.confirmedAt),
      })
      .returning({ userId: mfaTotp.userId });
    if (written.length === 0) {
      throw new AppError(
        'conflict',
        'Multi-factor authentication is already on. Turn it off first (this asks for a code) to set up another authenticator.',
      );
    }
    return user.email;
  });

  const otpauthUri = totpUri({ secretBase32, issuer, accountName });
  const svg = await QRCode.toString(otpauthUri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return {
    otpauthUri,
    qrDataUrl: `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`,
    secretBase32,
    issuer,
    accountName,
  };
}
