-- What the sender workers saw per provider: outcomes per minute (mc.provider_status sums the
-- last hour; mc.cleanup-style purge by the workers themselves) and the last error.
CREATE TABLE mc.provider_counter (
  provider text NOT NULL,
  minute timestamptz NOT NULL,
  sent bigint NOT NULL DEFAULT 0,
  deferred bigint NOT NULL DEFAULT 0,
  failed bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (provider, minute)
);
COMMENT ON TABLE mc.provider_counter IS 'Delivery outcomes per provider and minute (sender workers)';
CREATE TABLE mc.provider_error (
  provider text PRIMARY KEY,
  last_error text,
  last_error_at timestamptz,
  last_sent_at timestamptz
);
COMMENT ON TABLE mc.provider_error IS 'Last error and last success per provider (sender workers)';
