-- Session lookup for the authenticator, and change notifications for its caches.
--
-- 1. vigil_session_state(session, user, org): everything a request's authentication needs about
--    its session in one round trip — the session (revoked? expired? CSRF token), the user
--    (suspended? platform admin? tokens_valid_after) and the user's *current* role in the
--    organisation the access token names (NULL when they are no longer a member). Roles are read
--    live, so a role change or a removal applies to the very next request, not at the next
--    refresh.
--
--    SECURITY INVOKER on purpose: memberships has FORCE ROW LEVEL SECURITY, which binds the owner
--    too, so definer rights would buy nothing and would widen what the function could read. It
--    runs as the runtime role under its own RLS; to see the membership it sets app.user_id to the
--    user the verified token names — which the runtime role may do anyway — and restores the
--    previous value, so calling it inside a transaction leaves that transaction's scope as it was.
--    search_path is pinned so no object planted in another schema can stand in for a table.
CREATE FUNCTION vigil_session_state(p_session_id uuid, p_user_id uuid, p_org_id uuid)
RETURNS TABLE (
  revoked_at timestamptz,
  absolute_expires_at timestamptz,
  csrf_token text,
  platform_admin boolean,
  suspended_at timestamptz,
  tokens_valid_after timestamptz,
  role text
)
LANGUAGE plpgsql
SECURITY INVOKER
SET search_path = pg_catalog, public
AS $$
DECLARE
  previous_user text := current_setting('app.user_id', true);
BEGIN
  PERFORM set_config('app.user_id', p_user_id::text, true);
  RETURN QUERY
    SELECT s.revoked_at, s.absolute_expires_at, s.csrf_token, u.platform_admin, u.suspended_at,
           u.tokens_valid_after, m.role
      FROM public.sessions s
      JOIN public.users u ON u.id = s.user_id
      LEFT JOIN public.memberships m ON m.org_id = p_org_id AND m.user_id = s.user_id
     WHERE s.id = p_session_id AND s.user_id = p_user_id;
  PERFORM set_config('app.user_id', coalesce(previous_user, ''), true);
END
$$;
REVOKE ALL ON FUNCTION vigil_session_state(uuid, uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vigil_session_state(uuid, uuid, uuid) TO vigil_runtime;

-- 2. Every change that must end or narrow what an access token can do — a session revoked or
--    deleted; a user suspended, deleted, promoted/demoted, or cutting older tokens
--    (tokens_valid_after); a membership added, re-roled or removed — announces the user's id on
--    the `vigil_session_state` channel when it commits. Each Vigil process LISTENs and drops what
--    it cached about that user, so a change made by one replica (or by an operator in psql)
--    reaches the others' caches within a notification's latency. Refreshes (last_used_at) do not
--    notify.
CREATE FUNCTION vigil_notify_user_state() RETURNS trigger
LANGUAGE plpgsql
SECURITY INVOKER
SET search_path = pg_catalog, public
AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('vigil_session_state', OLD.id::text);
  ELSE
    PERFORM pg_notify('vigil_session_state', NEW.id::text);
  END IF;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION vigil_notify_user_state() FROM PUBLIC;

-- Sessions and memberships: the user the row belongs to (both, should a row ever change hands).
CREATE FUNCTION vigil_notify_member_state() RETURNS trigger
LANGUAGE plpgsql
SECURITY INVOKER
SET search_path = pg_catalog, public
AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM pg_notify('vigil_session_state', OLD.user_id::text);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM pg_notify('vigil_session_state', NEW.user_id::text);
  END IF;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION vigil_notify_member_state() FROM PUBLIC;

CREATE TRIGGER sessions_state_changed
  AFTER UPDATE OF revoked_at ON sessions
  FOR EACH ROW WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at)
  EXECUTE FUNCTION vigil_notify_member_state();
CREATE TRIGGER sessions_state_deleted
  AFTER DELETE ON sessions
  FOR EACH ROW EXECUTE FUNCTION vigil_notify_member_state();

CREATE TRIGGER users_state_changed
  AFTER UPDATE ON users
  FOR EACH ROW WHEN (
    OLD.suspended_at IS DISTINCT FROM NEW.suspended_at
    OR OLD.tokens_valid_after IS DISTINCT FROM NEW.tokens_valid_after
    OR OLD.platform_admin IS DISTINCT FROM NEW.platform_admin
  )
  EXECUTE FUNCTION vigil_notify_user_state();
CREATE TRIGGER users_state_deleted
  AFTER DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION vigil_notify_user_state();

CREATE TRIGGER memberships_state_changed
  AFTER INSERT OR DELETE ON memberships
  FOR EACH ROW EXECUTE FUNCTION vigil_notify_member_state();
CREATE TRIGGER memberships_role_changed
  AFTER UPDATE ON memberships
  FOR EACH ROW WHEN (
    OLD.role IS DISTINCT FROM NEW.role
    OR OLD.user_id IS DISTINCT FROM NEW.user_id
    OR OLD.org_id IS DISTINCT FROM NEW.org_id
  )
  EXECUTE FUNCTION vigil_notify_member_state();
