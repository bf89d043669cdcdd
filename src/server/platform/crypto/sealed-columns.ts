/**
 * Every column that holds a sealed value, so key rotation can re-encrypt them all and a test can
 * prove no secret-looking column stores plaintext. A feature that adds a secret column adds it
 * here in the same change.
 */
export type SealedColumn = {
  table: string;
  column: string;
  /** Column whose value is the `rowId` of the seal place. */
  idColumn: string;
  /** Column whose value is the `orgId` of the seal place; null for platform tables. */
  orgColumn: string | null;
};

export const sealedColumns: readonly SealedColumn[] = [];

/**
 * Columns whose names look secret but hold no secret, each with the reason. Anything else named
 * like a secret, token or key must be in `sealedColumns`. Hashes of secrets (refresh tokens,
 * recovery codes) belong here too, each listed by name: a hash is safe only if the secret has
 * enough entropy, which is a decision to review, not a naming convention.
 */
export const notSecretColumns: Readonly<Record<string, string>> = {
  'jobs.idempotency_key': 'a caller-chosen deduplication key, not a credential',
  'data_keys.wrapped_key': 'already encrypted: wrapped by the master key (AES-256-GCM)',
  'password_credentials.password_hash': 'bcrypt hash (cost >= 12) of the password; verifying needs the password',
  'users.tokens_valid_after': 'a timestamp (access tokens issued before it are rejected), not a token',
  'email_tokens.token_hash': 'SHA-256 of a 256-bit random token: infeasible to invert, safe to store',
};
