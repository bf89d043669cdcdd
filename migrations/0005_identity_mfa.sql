-- Identity: the TOTP second factor, its single-use recovery codes, and the short-lived challenges
-- that carry a password (or SSO) sign-in over to the code prompt. All platform tables (a user spans
-- organisations); nothing here is readable without the keyring or the code itself.

CREATE TABLE mfa_totp (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  -- Base32 TOTP secret sealed by the keyring (AAD mfa_totp:secret_sealed:<user_id>:), never plaintext.
  secret_sealed text NOT NULL,
  -- 32 random bytes sealed by the keyring: the HMAC key of this user's recovery code hashes, so a
  -- database dump alone cannot test guesses against them, and key rotation re-encrypts it.
  recovery_code_key_sealed text NOT NULL,
  -- NULL while enrolment is pending: an unconfirmed secret never counts as MFA.
  confirmed_at timestamptz,
  -- Replay protection: the highest TOTP time step accepted so far; only later steps are accepted.
  last_used_step bigint,
  -- Brute-force protection: wrong codes in a row, and the lockout they caused.
  failed_attempts integer NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
  locked_until timestamptz,
  created_at timestamptz NOT NULL
);
GRANT SELECT, INSERT, UPDATE, DELETE ON mfa_totp TO vigil_runtime;

-- Ten single-use codes per user, stored as HMAC-SHA256 under the user's sealed key. They belong to
-- the TOTP enrolment: turning MFA off (deleting the mfa_totp row) deletes them.
CREATE TABLE recovery_codes (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES mfa_totp (user_id) ON DELETE CASCADE,
  code_hash text NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL,
  UNIQUE (user_id, code_hash)
);
GRANT SELECT, INSERT, UPDATE, DELETE ON recovery_codes TO vigil_runtime;

-- The second step of a sign-in: a 256-bit token (only its SHA-256 stored), single use, 5 minutes
-- ('verify') or 15 minutes ('enrol': a platform admin without MFA scanning a QR code for the first
-- time). `purpose` is fixed when the password step succeeds, so an enrolment challenge can never
-- complete a sign-in and a verification challenge can never enrol a new authenticator.
CREATE TABLE mfa_challenges (
  id uuid PRIMARY KEY,
  token_hash text NOT NULL UNIQUE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  purpose text NOT NULL CHECK (purpose IN ('verify', 'enrol')),
  -- The first factor that was passed, for the session's amr: ['pwd', 'otp'] or ['sso', 'otp'].
  first_factor text NOT NULL CHECK (first_factor IN ('pwd', 'sso')),
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  ip text,
  user_agent text
);
CREATE INDEX mfa_challenges_user ON mfa_challenges (user_id);
GRANT SELECT, INSERT, UPDATE, DELETE ON mfa_challenges TO vigil_runtime;
