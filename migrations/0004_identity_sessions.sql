-- Sessions: the keys that sign access tokens (EdDSA JWTs), sessions (one refresh-token family
-- each) and their single-use refresh tokens. All three are platform tables: a session belongs to a
-- user, who spans organisations; the organisation a session's tokens are for is only a pointer.

-- Ed25519 signing keys. Exactly one signs new access tokens (retired_at NULL); a retired key
-- stays published in /.well-known/jwks.json and accepted until every token it signed has expired,
-- then it is deleted. The private key is sealed by the keyring (AAD
-- jwt_signing_keys:private_key:<id>:), so a database dump alone cannot mint tokens.
CREATE TABLE jwt_signing_keys (
  -- Also the JWT `kid`.
  id uuid PRIMARY KEY,
  algorithm text NOT NULL CHECK (algorithm = 'EdDSA'),
  public_jwk jsonb NOT NULL,
  private_key text NOT NULL,
  created_at timestamptz NOT NULL,
  retired_at timestamptz
);
CREATE UNIQUE INDEX jwt_signing_keys_one_active ON jwt_signing_keys ((true)) WHERE retired_at IS NULL;
GRANT SELECT, INSERT, UPDATE, DELETE ON jwt_signing_keys TO vigil_runtime;

CREATE TABLE sessions (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- The organisation the session's access tokens are issued for (switchable); the role claim is
  -- re-read from memberships at every issuance. Not a tenant column: the row is the user's.
  current_org_id uuid REFERENCES organisations (id) ON DELETE SET NULL,
  -- RFC 8176 methods the session passed ('pwd', 'otp', 'sso').
  amr text[] NOT NULL CHECK (cardinality(amr) BETWEEN 1 AND 4),
  -- When the session last passed a second factor: step-up-protected actions need it recent.
  second_factor_at timestamptz,
  -- The session's CSRF token, sealed (AAD sessions:csrf_token:<id>:). The page reads it from a
  -- cookie and echoes it in a header on state-changing requests; refreshes re-issue the cookie.
  csrf_token text NOT NULL,
  ip text CHECK (char_length(ip) <= 64),
  user_agent text CHECK (char_length(user_agent) <= 512),
  created_at timestamptz NOT NULL,
  last_used_at timestamptz NOT NULL,
  -- The family's absolute lifetime: no refresh extends a session past it.
  absolute_expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  revoked_reason text CHECK (char_length(revoked_reason) <= 64),
  CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
);
CREATE INDEX sessions_user ON sessions (user_id, created_at);
GRANT SELECT, INSERT, UPDATE, DELETE ON sessions TO vigil_runtime;

-- Refresh tokens: 256-bit random values of which only a SHA-256 is stored. Each is used once;
-- using it creates its successor in the same session. Presenting a used token again revokes the
-- session (reuse detection), except for the immediate parent of the current token within a few
-- seconds, which gets that successor back: successor_token holds it, sealed, only until the
-- successor is itself used or the session ends.
CREATE TABLE refresh_tokens (
  id uuid PRIMARY KEY,
  session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  parent_id uuid,
  token_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL,
  -- Idle lifetime, capped by the session's absolute lifetime.
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  successor_id uuid,
  successor_token text,
  CHECK (successor_token IS NULL OR successor_id IS NOT NULL)
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);
-- At most one live (unused) token per session: a second one would be a forked family.
CREATE UNIQUE INDEX refresh_tokens_one_live ON refresh_tokens (session_id) WHERE used_at IS NULL;
GRANT SELECT, INSERT, UPDATE, DELETE ON refresh_tokens TO vigil_runtime;
