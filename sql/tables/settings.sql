-- One row of instance settings. The C++ code caches it per backend; the statement trigger
-- below invalidates every backend's copy when it changes.
CREATE TABLE mc.settings (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  instance_id smallint NOT NULL DEFAULT 0 CHECK (instance_id BETWEEN 0 AND 255),
  max_ctx_bytes integer NOT NULL DEFAULT 65536 CHECK (max_ctx_bytes BETWEEN 2 AND 67108864),
  rt_pending_threshold integer NOT NULL DEFAULT 1000 CHECK (rt_pending_threshold > 0),
  batch_pending_threshold integer NOT NULL DEFAULT 1000000 CHECK (batch_pending_threshold > 0),
  max_processing_attempts integer NOT NULL DEFAULT 5 CHECK (max_processing_attempts > 0),
  retry_backoff interval NOT NULL DEFAULT '10 seconds' CHECK (retry_backoff > '0'),
  processing_batch_size integer NOT NULL DEFAULT 1000 CHECK (processing_batch_size BETWEEN 1 AND 100000),
  -- Optional: called once per batch as fn(ids bigint[]) RETURNS TABLE (event_id bigint, data jsonb);
  -- templates see the data under the root key "enrichment".
  enrichment_function regproc,
  event_retention interval NOT NULL DEFAULT '30 days' CHECK (event_retention > '0'),
  delivery_log_retention interval NOT NULL DEFAULT '180 days' CHECK (delivery_log_retention > '0'),
  archive_retention interval NOT NULL DEFAULT '360 days' CHECK (archive_retention > '0'),
  -- The delivery API: a message claimed this many times without a report fails; no lease is
  -- longer than max_lease.
  max_delivery_attempts integer NOT NULL DEFAULT 10 CHECK (max_delivery_attempts BETWEEN 1 AND 1000),
  max_lease interval NOT NULL DEFAULT '1 hour' CHECK (max_lease > '0'),
  -- Sender workers (spec section 8): how many mc.start_workflows starts, and how long a
  -- message without expires_at may be retried (deferred) before it fails.
  sender_workers integer NOT NULL DEFAULT 1 CHECK (sender_workers BETWEEN 0 AND 64),
  message_validity interval NOT NULL DEFAULT '2 days' CHECK (message_validity > '0'),
  -- Repeated soft failures (mailbox full) quarantine an address after this many, the first at
  -- least soft_quarantine_span before the latest (mc.soft_failure).
  soft_quarantine_failures integer NOT NULL DEFAULT 3 CHECK (soft_quarantine_failures BETWEEN 1 AND 1000),
  soft_quarantine_span interval NOT NULL DEFAULT '1 day' CHECK (soft_quarantine_span >= '0')
);
COMMENT ON TABLE mc.settings IS 'Instance settings (one row); change with UPDATE, instance_id with mc.set_instance_id';
INSERT INTO mc.settings DEFAULT VALUES;
-- pg_dump keeps the row; restoring it into a new CREATE EXTENSION, which inserted the default
-- row, replaces that row (mc._merge_seed_row) instead of colliding with it.
SELECT pg_catalog.pg_extension_config_dump('mc.settings', '');
CREATE TRIGGER settings_restore BEFORE INSERT ON mc.settings
  FOR EACH ROW EXECUTE FUNCTION mc._merge_seed_row();
CREATE TRIGGER settings_enrichment_function BEFORE INSERT OR UPDATE OF enrichment_function ON mc.settings
  FOR EACH ROW EXECUTE FUNCTION mc._check_enrichment_function();
CREATE TRIGGER settings_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mc.settings
  FOR EACH STATEMENT EXECUTE FUNCTION mc._invalidate_cache();
-- Intake reads the settings as the pushing user (through the CHECK constraint too); none
-- of them is secret.
GRANT SELECT ON mc.settings TO PUBLIC;
GRANT SELECT ON mc.settings TO mc_control_agent;
