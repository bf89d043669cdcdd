-- Identity: sign-in with Google and other OpenID Connect providers. Platform tables (a user spans
-- organisations), like the rest of identity.

-- An identity at a provider (its `sub`, stable per provider) linked to a Vigil account. One account
-- may have several; an identity belongs to at most one account.
CREATE TABLE user_identities (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  provider text NOT NULL CHECK (provider ~ '^[a-z0-9][a-z0-9-]{0,31}$'),
  subject text NOT NULL CHECK (char_length(subject) BETWEEN 1 AND 255),
  -- The verified email the provider reported at link time (shown on the security page).
  email text NOT NULL CHECK (char_length(email) <= 254),
  created_at timestamptz NOT NULL,
  last_used_at timestamptz,
  UNIQUE (provider, subject)
);
CREATE INDEX user_identities_user ON user_identities (user_id);
GRANT SELECT, INSERT, UPDATE, DELETE ON user_identities TO vigil_runtime;

-- One authorization request in flight (10 minutes, single use). Looked up by the SHA-256 of its
-- `state`, and bound to the browser that started it by the SHA-256 of a random value in an
-- httpOnly cookie: a `state` lured into another browser (login CSRF) finds no matching cookie.
-- The PKCE verifier and the nonce are sealed by the keyring.
CREATE TABLE sso_attempts (
  id uuid PRIMARY KEY,
  provider text NOT NULL,
  state_hash text NOT NULL UNIQUE,
  browser_binding_hash text NOT NULL,
  code_verifier_sealed text NOT NULL,
  nonce_sealed text NOT NULL,
  redirect_uri text NOT NULL,
  -- Set when a signed-in user links a provider from the security page: the callback links the
  -- identity to this account instead of signing in.
  link_user_id uuid REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX sso_attempts_expires ON sso_attempts (expires_at);
GRANT SELECT, INSERT, UPDATE, DELETE ON sso_attempts TO vigil_runtime;

-- A provider identity whose verified email matches an existing account that has no link for it.
-- Nothing is linked and nobody is signed in until the account proves control (its password, and
-- its second factor when enrolled) with this 256-bit token (only its SHA-256 stored, 10 minutes,
-- single use): an email match alone never takes an account over.
CREATE TABLE sso_pending_links (
  id uuid PRIMARY KEY,
  token_hash text NOT NULL UNIQUE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  provider text NOT NULL,
  subject text NOT NULL,
  email text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX sso_pending_links_user ON sso_pending_links (user_id);
GRANT SELECT, INSERT, UPDATE, DELETE ON sso_pending_links TO vigil_runtime;
