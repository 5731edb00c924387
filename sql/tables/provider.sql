-- Delivery providers (spec section 8): where the sender workers send a channel's messages.
-- Options were validated by the delivery core (mc._check_provider) when written.
CREATE TABLE mc.provider (
  name text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_.-]{1,63}$'),
  channel mc.channel NOT NULL,
  kind text NOT NULL CHECK (kind IN ('smtp', 'http')),
  url text,
  options jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Bumped by every change, secrets included: the workers reload a provider when it moves.
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
COMMENT ON TABLE mc.provider IS 'Delivery providers (SMTP relays, HTTP APIs, webhooks); change with mc.create_provider / mc.alter_provider / mc.drop_provider';
GRANT SELECT ON mc.provider TO mc_status_reader;
SELECT pg_catalog.pg_extension_config_dump('mc.provider', '');

-- Provider secrets (SMTP password, HTTP {{secret}}, webhook HMAC key; '<name>:dkim' the DKIM
-- private key). Write-only through mc.set_provider_secret: no role but the owner reads this
-- table, no view shows it, no error or log line quotes it.
CREATE TABLE mc.provider_secret (
  name text PRIMARY KEY,
  provider text NOT NULL REFERENCES mc.provider (name) ON DELETE CASCADE,
  secret text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
REVOKE ALL ON mc.provider_secret FROM PUBLIC;
COMMENT ON TABLE mc.provider_secret IS 'Provider secrets, write-only (mc.set_provider_secret); readable by the owner alone';
SELECT pg_catalog.pg_extension_config_dump('mc.provider_secret', '');
