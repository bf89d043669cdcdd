-- A suspended organisation (platform console) is closed to its members: the authenticator's
-- session lookup reports no role for it, exactly as if the caller were not a member, so every
-- organisation route answers 404 until it is unsuspended. Same signature and rights as 0009.
CREATE OR REPLACE FUNCTION vigil_session_state(p_session_id uuid, p_user_id uuid, p_org_id uuid)
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
           u.tokens_valid_after, CASE WHEN o.suspended_at IS NULL THEN m.role END
      FROM public.sessions s
      JOIN public.users u ON u.id = s.user_id
      LEFT JOIN public.memberships m ON m.org_id = p_org_id AND m.user_id = s.user_id
      LEFT JOIN public.organisations o ON o.id = m.org_id
     WHERE s.id = p_session_id AND s.user_id = p_user_id;
  PERFORM set_config('app.user_id', coalesce(previous_user, ''), true);
END
$$;
