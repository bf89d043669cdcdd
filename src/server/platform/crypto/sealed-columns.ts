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

export const sealedColumns: readonly SealedColumn[] = [
  // Ed25519 private keys signing access tokens (PKCS#8).
  { table: 'jwt_signing_keys', column: 'private_key', idColumn: 'id', orgColumn: null },
  // Per-session CSRF token, re-issued to the browser at every refresh.
  { table: 'sessions', column: 'csrf_token', idColumn: 'id', orgColumn: null },
  // The current refresh token, kept on its parent only for the reuse grace window.
  { table: 'refresh_tokens', column: 'successor_token', idColumn: 'id', orgColumn: null },
  // Account mail (development outbox, or kept after a failed delivery) carries single-use
  // verification and password reset links: a reset link is the account for 30 minutes.
  { table: 'mail_outbox', column: 'body_text', idColumn: 'id', orgColumn: null },
  // TOTP secret (base32): whoever reads it can generate every future code.
  { table: 'mfa_totp', column: 'secret_sealed', idColumn: 'user_id', orgColumn: null },
  // HMAC key of the user's recovery code hashes: without it a dump cannot even test guesses.
  { table: 'mfa_totp', column: 'recovery_code_key_sealed', idColumn: 'user_id', orgColumn: null },
  // SSO request in flight: the PKCE verifier redeems the authorization code; the nonce binds the ID token.
  { table: 'sso_attempts', column: 'code_verifier_sealed', idColumn: 'id', orgColumn: null },
  { table: 'sso_attempts', column: 'nonce_sealed', idColumn: 'id', orgColumn: null },
  // Webhook signing secrets (current, and previous during a rotation's grace period): whoever
  // holds one can forge deliveries the receiver trusts.
  { table: 'webhook_endpoints', column: 'secret_sealed', idColumn: 'id', orgColumn: 'org_id' },
  { table: 'webhook_endpoints', column: 'previous_secret_sealed', idColumn: 'id', orgColumn: 'org_id' },
  // Custom headers sent to a receiver: often its API key.
  { table: 'webhook_endpoints', column: 'custom_headers_sealed', idColumn: 'id', orgColumn: 'org_id' },
];

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
  'refresh_tokens.token_hash': 'SHA-256 of a 256-bit random refresh token: infeasible to invert, safe to store',
  'recovery_codes.code_hash':
    'HMAC-SHA256 of a 60-bit random recovery code under a per-user key sealed in mfa_totp: a dump alone cannot test guesses, and 2^60 guesses are out of reach online (lockout) and offline (keyed)',
  'invitations.token_hash': 'SHA-256 of a 256-bit random invitation token (7-day, single use): infeasible to invert',
  'sso_pending_links.token_hash':
    'SHA-256 of a 256-bit random pending-link token (10-minute, single use, needs the password too): infeasible to invert',
  'webhook_endpoints.secret_hint':
    'the last four base64 characters of a 256-bit secret (24 bits): identifies it, cannot recreate it',
  'webhook_endpoints.previous_secret_expires_at': 'a timestamp (end of the rotation grace period), not a secret',
  'mfa_challenges.token_hash':
    'SHA-256 of a 256-bit random sign-in challenge token (5-minute, single use): infeasible to invert',
};
