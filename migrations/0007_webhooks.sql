-- Outbound webhooks: endpoints (sealed secrets), the outbox of messages, one delivery per
-- (message, endpoint), and the log of every attempt. All tenant tables: org_id, primary key
-- (org_id, id), foreign keys that include org_id, forced RESTRICTIVE row-level security.

CREATE TABLE webhook_endpoints (
  org_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  url text NOT NULL CHECK (char_length(url) BETWEEN 8 AND 2048),
  description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 500),
  event_types text[] NOT NULL,
  -- Custom request headers as sealed JSON: receivers often put an API key in one.
  custom_headers_sealed text,
  -- `whsec_` + base64 of 32 random bytes, sealed (AAD webhook_endpoints:secret_sealed:<id>:<org>).
  secret_sealed text NOT NULL,
  -- The last four characters, so people can tell secrets apart; 24 of 256 bits.
  secret_hint text NOT NULL,
  -- The secret before the last rotation: deliveries are signed with both until the grace ends.
  previous_secret_sealed text,
  previous_secret_expires_at timestamptz,
  status text NOT NULL CHECK (status IN ('active', 'paused', 'disabled')),
  disabled_reason text CHECK (char_length(disabled_reason) <= 500),
  disabled_at timestamptz,
  -- Start of the current run of failed attempts (NULL after a success): auto-disable after 5 days.
  failing_since timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (org_id, id),
  CHECK ((previous_secret_sealed IS NULL) = (previous_secret_expires_at IS NULL))
);
SELECT vigil_enable_tenant_isolation('webhook_endpoints');
GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_endpoints TO vigil_runtime;

-- The outbox: written in the same transaction as the change that caused the event. `body` is the
-- exact JSON sent (and signed); `id` is the `webhook-id`, stable across retries and resends.
CREATE TABLE webhook_messages (
  org_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  event_type text NOT NULL CHECK (event_type ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$'),
  body text NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (org_id, id)
);
SELECT vigil_enable_tenant_isolation('webhook_messages');
CREATE INDEX webhook_messages_created ON webhook_messages (org_id, created_at);
-- The retention purge scans every organisation by age.
CREATE INDEX webhook_messages_age ON webhook_messages (created_at);
GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_messages TO vigil_runtime;

CREATE TABLE webhook_deliveries (
  org_id uuid NOT NULL,
  id uuid NOT NULL,
  endpoint_id uuid NOT NULL,
  message_id uuid NOT NULL,
  -- Copied from the message so the delivery log filters without a join.
  event_type text NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed')),
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at timestamptz,
  last_attempt_at timestamptz,
  last_status_code integer,
  last_error_class text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, endpoint_id, message_id),
  FOREIGN KEY (org_id, endpoint_id) REFERENCES webhook_endpoints (org_id, id) ON DELETE CASCADE,
  FOREIGN KEY (org_id, message_id) REFERENCES webhook_messages (org_id, id) ON DELETE CASCADE
);
SELECT vigil_enable_tenant_isolation('webhook_deliveries');
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (org_id, endpoint_id, created_at);
GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_deliveries TO vigil_runtime;

-- Every attempt, kept 30 days. `job_id` makes recording idempotent: a job that runs again after
-- its worker died between recording and completing does not log (or send) a second attempt.
CREATE TABLE webhook_attempts (
  org_id uuid NOT NULL,
  id uuid NOT NULL,
  delivery_id uuid NOT NULL,
  job_id uuid NOT NULL,
  attempt_number integer NOT NULL CHECK (attempt_number > 0),
  trigger text NOT NULL CHECK (trigger IN ('scheduled', 'manual')),
  started_at timestamptz NOT NULL,
  duration_ms integer NOT NULL CHECK (duration_ms >= 0),
  status_code integer,
  error_class text CHECK (error_class IN ('dns', 'connect', 'tls', 'timeout', 'blocked', 'http', 'endpoint_disabled')),
  error_message text CHECK (char_length(error_message) <= 1000),
  request_headers jsonb NOT NULL,
  response_headers jsonb,
  -- At most 4 KB, control characters removed.
  response_body text CHECK (octet_length(response_body) <= 4096),
  next_retry_at timestamptz,
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, job_id),
  FOREIGN KEY (org_id, delivery_id) REFERENCES webhook_deliveries (org_id, id) ON DELETE CASCADE
);
SELECT vigil_enable_tenant_isolation('webhook_attempts');
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (org_id, delivery_id, started_at);
CREATE INDEX webhook_attempts_age ON webhook_attempts (started_at);
GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_attempts TO vigil_runtime;
