import { generateKeyPairSync } from 'node:crypto';
import type { Keyring, SealPlace } from '../../../platform/crypto/keyring.ts';
import { newId } from '../../../platform/db/ids.ts';
import type { PublicSigningJwk } from './session-tables.ts';

export function signingKeySealPlace(id: string): SealPlace {
  return { table: 'jwt_signing_keys', column: 'private_key', rowId: id, orgId: null };
}

/**
 * A new Ed25519 key pair as a `jwt_signing_keys` row: the public half as a JWK (published), the
 * private half as PKCS#8 sealed by the keyring (never stored or logged in the clear).
 */
export async function generateSigningKey(options: { keyring: Keyring; createdAt: Date }) {
  const id = newId();
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new Error('Ed25519 public key export has no x coordinate');
  const publicJwk: PublicSigningJwk = { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid: id, alg: 'EdDSA', use: 'sig' };
  const sealed = await options.keyring.seal(
    privateKey.export({ format: 'der', type: 'pkcs8' }),
    signingKeySealPlace(id),
  );
  return {
    id,
    algorithm: 'EdDSA' as const,
    publicJwk,
    privateKey: sealed,
    createdAt: options.createdAt,
    retiredAt: null,
  };
}
