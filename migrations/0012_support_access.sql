-- Support access: an organisation admin's explicit, time-boxed grant that lets the platform's
-- admins read the organisation's deals (read-only) through the console. Never secrets: the console
-- has no route to them, grant or no grant. docs/organisations.md (Support access) describes it.
--
-- One row per grant, kept as history (who granted it, why, for how long, how it ended). At most
-- one grant is open per organisation; granting again ends the open one ('replaced') and opens a
-- new one. Expiry is decided by the application's clock against expires_at (no job flips a
-- flag); the first request that finds a lapsed grant records its end ('expired') and audits it.
CREATE TABLE support_access_grants (
  org_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  granted_by uuid REFERENCES users (id) ON DELETE SET NULL,
  reason text NOT NULL CHECK (char_length(reason) BETWEEN 3 AND 500),
  granted_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  ended_at timestamptz,
  end_reason text CHECK (end_reason IN ('revoked', 'replaced', 'expired')),
  ended_by uuid REFERENCES users (id) ON DELETE SET NULL,
  PRIMARY KEY (org_id, id),
  -- 1 hour to 72 hours, as the API accepts.
  CHECK (expires_at - granted_at BETWEEN interval '1 hour' AND interval '72 hours'),
  CHECK ((ended_at IS NULL) = (end_reason IS NULL))
);
CREATE UNIQUE INDEX support_access_grants_one_open ON support_access_grants (org_id) WHERE ended_at IS NULL;
SELECT vigil_enable_tenant_isolation('support_access_grants');
-- No DELETE: a grant's history stays until its organisation goes (by cascade).
GRANT SELECT, INSERT, UPDATE ON support_access_grants TO vigil_runtime;

-- The console lists organisations in a platform transaction, where grants (row-level scoped) read
-- as empty. The open grant's id and expiry are mirrored on the organisation by this trigger, in
-- the same transaction, like member_count; whether it is still active is decided by the clock.
ALTER TABLE organisations
  ADD COLUMN support_access_grant_id uuid,
  ADD COLUMN support_access_expires_at timestamptz;

CREATE FUNCTION vigil_mirror_support_access() RETURNS trigger
LANGUAGE plpgsql
SECURITY INVOKER
SET search_path = pg_catalog, public
AS $$
BEGIN
  IF NEW.ended_at IS NULL THEN
    UPDATE public.organisations
       SET support_access_grant_id = NEW.id, support_access_expires_at = NEW.expires_at
     WHERE id = NEW.org_id;
  ELSE
    UPDATE public.organisations
       SET support_access_grant_id = NULL, support_access_expires_at = NULL
     WHERE id = NEW.org_id AND support_access_grant_id = NEW.id;
  END IF;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION vigil_mirror_support_access() FROM PUBLIC;
CREATE TRIGGER support_access_grants_mirror AFTER INSERT OR UPDATE ON support_access_grants
  FOR EACH ROW EXECUTE FUNCTION vigil_mirror_support_access();
