-- Identity: users, password credentials, single-use email tokens, the development mail outbox,
-- and organisation memberships (which the access token's org/role claims are read from).

CREATE TABLE users (
  id uuid PRIMARY KEY,
  email text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
  -- Lower-cased, trimmed: the identity used for uniqueness and sign-in.
  email_normalised text NOT NULL UNIQUE,
  display_name text CHECK (char_length(display_name) <= 200),
  email_verified_at timestamptz,
  platform_admin boolean NOT NULL DEFAULT false,
  -- Access tokens issued before this instant are rejected: sign-out everywhere, password change,
  -- suspension and deletion take effect at once instead of at token expiry.
  tokens_valid_after timestamptz NOT NULL,
  suspended_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
GRANT SELECT, INSERT, UPDATE, DELETE ON users TO vigil_runtime;

CREATE TABLE password_credentials (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  password_hash text NOT NULL,
  updated_at timestamptz NOT NULL
);
GRANT SELECT, INSERT, UPDATE, DELETE ON password_credentials TO vigil_runtime;

-- Email verification and password reset links: only a SHA-256 of the 256-bit token is stored.
CREATE TABLE email_tokens (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  purpose text NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
  token_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX email_tokens_user ON email_tokens (user_id);
GRANT SELECT, INSERT, UPDATE, DELETE ON email_tokens TO vigil_runtime;

-- Mail that could not be (or, in development, is not) sent through SMTP: the development profile
-- shows it in the web app so every flow can be followed locally.
CREATE TABLE mail_outbox (
  id uuid PRIMARY KEY,
  to_address text NOT NULL,
  subject text NOT NULL,
  body_text text NOT NULL,
  created_at timestamptz NOT NULL,
  sent_at timestamptz,
  last_error text
);
GRANT SELECT, INSERT, UPDATE, DELETE ON mail_outbox TO vigil_runtime;

CREATE TABLE memberships (
  org_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('viewer', 'builder', 'org_admin')),
  created_at timestamptz NOT NULL,
  PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);
-- An organisation sees its members; a user (app.user_id, set by the identity module before any
-- organisation is chosen) sees their own memberships across organisations. Nothing else.
ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON memberships AS RESTRICTIVE FOR ALL
  USING (
    org_id = NULLIF(current_setting('app.org_id', true), '')::uuid
    OR user_id = NULLIF(current_setting('app.user_id', true), '')::uuid
  )
  WITH CHECK (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid);
CREATE POLICY runtime_access ON memberships AS PERMISSIVE FOR ALL TO vigil_runtime USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON memberships TO vigil_runtime;
