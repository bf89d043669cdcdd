-- Envelope encryption keys and the tamper-evident audit log.

-- Data keys (DEKs), each wrapped by the master key (KEK). Sealed values name the version that
-- encrypted them. `active`: seals new values; `retiring`: still opens old values while
-- `vigil keys rotate` re-encrypts them; `retired`: no value uses it and its key material is gone.
CREATE TABLE data_keys (
  version integer PRIMARY KEY CHECK (version > 0),
  state text NOT NULL CHECK (state IN ('active', 'retiring', 'retired')),
  wrapped_key text,
  kek_fingerprint text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz,
  CHECK ((state = 'retired') = (wrapped_key IS NULL))
);
-- At most one key seals new values.
CREATE UNIQUE INDEX data_keys_one_active ON data_keys ((true)) WHERE state = 'active';
-- The server reads keys and may create the first one; rotation runs as the owner.
GRANT SELECT, INSERT ON data_keys TO vigil_runtime;

-- The audit log. Two kinds of chain: one per organisation (org_id set) and the platform chain
-- (org_id NULL). Each event's hash covers its canonical content and the previous event's hash
-- in the same chain, so editing, deleting or reordering any event breaks every later link.
CREATE TABLE audit_events (
  id uuid PRIMARY KEY,
  org_id uuid,
  seq bigint NOT NULL CHECK (seq > 0),
  occurred_at timestamptz NOT NULL,
  actor_user_id uuid,
  actor_role text,
  actor_ip text,
  actor_user_agent text,
  action text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$'),
  outcome text NOT NULL CHECK (outcome IN ('success', 'denied', 'failure')),
  target_type text,
  target_id text,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  request_id text,
  prev_hash text NOT NULL,
  hash text NOT NULL
);
-- One sequence per chain. NULLS NOT DISTINCT (PostgreSQL 15+) makes the platform chain's NULL
-- org_id one chain rather than many.
CREATE UNIQUE INDEX audit_events_chain_seq ON audit_events (org_id, seq) NULLS NOT DISTINCT;
CREATE INDEX audit_events_org_time ON audit_events (org_id, occurred_at DESC, id DESC);

-- Tenant transactions see and write only their organisation's chain; platform transactions (no
-- organisation set) only the platform chain.
ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_events AS RESTRICTIVE FOR ALL
  USING (org_id IS NOT DISTINCT FROM NULLIF(current_setting('app.org_id', true), '')::uuid)
  WITH CHECK (org_id IS NOT DISTINCT FROM NULLIF(current_setting('app.org_id', true), '')::uuid);
CREATE POLICY runtime_access ON audit_events AS PERMISSIVE FOR ALL TO vigil_runtime USING (true) WITH CHECK (true);

-- Append-only, twice over: the runtime role may only read and insert, and a trigger rejects
-- UPDATE, DELETE and TRUNCATE for everyone, the owner included.
GRANT SELECT, INSERT ON audit_events TO vigil_runtime;

CREATE FUNCTION vigil_audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION vigil_audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION vigil_audit_events_append_only();
