-- Suspending or unsuspending an organisation changes what every member's session may do there
-- (0010: the session lookup reports no role in a suspended organisation), so it announces itself
-- on the `vigil_session_state` channel of 0009 like the user, session and membership changes do.
-- The payload is `org:<organisation id>` rather than every member's user id: one notification
-- however many members, and no need to read memberships (FORCE ROW LEVEL SECURITY) from a
-- trigger that fires in a platform transaction. Each Vigil process drops what it cached for that
-- organisation (older processes, which treat every payload as a user id, drop nothing and keep
-- the 5 s bound). Deleting an organisation needs nothing new: its memberships' cascade deletes
-- notify each member already.
CREATE FUNCTION vigil_notify_organisation_state() RETURNS trigger
LANGUAGE plpgsql
SECURITY INVOKER
SET search_path = pg_catalog, public
AS $$
BEGIN
  PERFORM pg_notify('vigil_session_state', 'org:' || NEW.id::text);
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION vigil_notify_organisation_state() FROM PUBLIC;

CREATE TRIGGER organisations_suspension_changed
  AFTER UPDATE OF suspended_at ON organisations
  FOR EACH ROW WHEN (OLD.suspended_at IS DISTINCT FROM NEW.suspended_at)
  EXECUTE FUNCTION vigil_notify_organisation_state();
