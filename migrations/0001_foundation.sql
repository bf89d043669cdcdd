-- Foundation: runtime role, tenant isolation helper, organisations, deals, jobs.
--
-- Migrations run as the owner role. The server runs as a separate login role that is a member
-- of `vigil_runtime`: not a superuser, no BYPASSRLS, owning nothing, so row-level security
-- applies to every query it makes.

DO $$
BEGIN
  CREATE ROLE vigil_runtime NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
EXCEPTION
  -- Roles are cluster-wide: another database on the same server may have created it already
  -- (concurrently, in the case of unique_violation).
  WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

GRANT USAGE ON SCHEMA public TO vigil_runtime;

-- Every tenant table calls this: RLS enabled AND forced (so even the owner is subject to it),
-- a RESTRICTIVE policy pinning rows to the organisation of the current transaction, and a
-- PERMISSIVE policy for the runtime role (RESTRICTIVE policies only narrow what PERMISSIVE ones
-- allow; without one, nothing would be visible at all). With no organisation set, the
-- NULLIF turns '' into NULL and `org_id = NULL` is never true: a query outside a tenant
-- transaction sees nothing and can write nothing.
CREATE FUNCTION vigil_enable_tenant_isolation(target regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', target);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', target);
  EXECUTE format(
    'CREATE POLICY tenant_isolation ON %s AS RESTRICTIVE FOR ALL '
    'USING (org_id = NULLIF(current_setting(''app.org_id'', true), '''')::uuid) '
    'WITH CHECK (org_id = NULLIF(current_setting(''app.org_id'', true), '''')::uuid)',
    target);
  EXECUTE format(
    'CREATE POLICY runtime_access ON %s AS PERMISSIVE FOR ALL TO vigil_runtime USING (true) WITH CHECK (true)',
    target);
END
$$;

CREATE TABLE organisations (
  id uuid PRIMARY KEY,
  slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  is_demo boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT, UPDATE, DELETE ON organisations TO vigil_runtime;

CREATE TABLE deals (
  org_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 500),
  stage text NOT NULL,
  amount_minor bigint CHECK (amount_minor >= 0),
  currency char(3) CHECK (currency ~ '^[A-Z]{3}$'),
  close_date date,
  owner_name text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id)
);
SELECT vigil_enable_tenant_isolation('deals');
GRANT SELECT, INSERT, UPDATE, DELETE ON deals TO vigil_runtime;

CREATE TABLE jobs (
  id uuid PRIMARY KEY,
  kind text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.-]{0,99}$'),
  org_id uuid REFERENCES organisations (id) ON DELETE CASCADE,
  payload jsonb NOT NULL DEFAULT '{}'::jsonb,
  state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
  run_at timestamptz NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL DEFAULT 8 CHECK (max_attempts BETWEEN 1 AND 100),
  locked_until timestamptz,
  locked_by text,
  last_error text,
  idempotency_key text,
  created_at timestamptz NOT NULL,
  finished_at timestamptz,
  CONSTRAINT jobs_kind_idempotency_key UNIQUE (kind, idempotency_key)
);
-- Only unfinished jobs are ever scanned by workers.
CREATE INDEX jobs_claimable ON jobs (run_at) WHERE state IN ('queued', 'running');
GRANT SELECT, INSERT, UPDATE, DELETE ON jobs TO vigil_runtime;
