-- Organisations as a product: settings, suspension, invitations by email.

ALTER TABLE organisations
  ADD COLUMN timezone text NOT NULL DEFAULT 'UTC' CHECK (char_length(timezone) BETWEEN 1 AND 64),
  ADD COLUMN risk_alert_threshold integer NOT NULL DEFAULT 70 CHECK (risk_alert_threshold BETWEEN 1 AND 100),
  ADD COLUMN suspended_at timestamptz,
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN member_count integer NOT NULL DEFAULT 0 CHECK (member_count >= 0);

-- Memberships are row-level scoped, so a platform transaction (the admin console) cannot count
-- them; the count lives on the organisation, kept by this trigger in the same transaction.
UPDATE organisations o SET member_count = (SELECT count(*) FROM memberships m WHERE m.org_id = o.id);
CREATE FUNCTION vigil_count_members() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE organisations SET member_count = member_count + 1 WHERE id = NEW.org_id;
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE organisations SET member_count = member_count - 1 WHERE id = OLD.org_id;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER memberships_count AFTER INSERT OR DELETE ON memberships
  FOR EACH ROW EXECUTE FUNCTION vigil_count_members();

-- An invitation to join an organisation with a role. The token is sent by email and stored only
-- as its SHA-256 (single use, 7 days). An organisation sees its invitations; the invited person
-- (app.user_id, whose verified email matches) sees the ones addressed to them, and nothing else.
CREATE TABLE invitations (
  org_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  email text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 320),
  email_normalised text NOT NULL CHECK (char_length(email_normalised) BETWEEN 3 AND 320),
  role text NOT NULL CHECK (role IN ('viewer', 'builder', 'org_admin')),
  token_hash text NOT NULL UNIQUE,
  invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL,
  sent_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz,
  accepted_by uuid REFERENCES users (id) ON DELETE SET NULL,
  declined_at timestamptz,
  revoked_at timestamptz,
  PRIMARY KEY (org_id, id)
);
CREATE INDEX invitations_email ON invitations (email_normalised);
-- At most one open invitation per address and organisation (resend reuses it).
CREATE UNIQUE INDEX invitations_open_per_email ON invitations (org_id, email_normalised)
  WHERE accepted_at IS NULL AND declined_at IS NULL AND revoked_at IS NULL;
ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invitations AS RESTRICTIVE FOR ALL
  USING (
    org_id = NULLIF(current_setting('app.org_id', true), '')::uuid
    OR email_normalised = (
      SELECT u.email_normalised FROM users u
      WHERE u.id = NULLIF(current_setting('app.user_id', true), '')::uuid AND u.email_verified_at IS NOT NULL
    )
  )
  WITH CHECK (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid);
CREATE POLICY runtime_access ON invitations AS PERMISSIVE FOR ALL TO vigil_runtime USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON invitations TO vigil_runtime;
