CREATE TABLE mc.event_histo (
  id bigint PRIMARY KEY,  -- ids carry their instance id in the high byte: unique across instances
  instance_id smallint NOT NULL,
  queue text NOT NULL CHECK (queue IN ('rt', 'batch')),
  status mc.event_status NOT NULL,
  wished_channel mc.channel NOT NULL,
  error_count integer NOT NULL,
  created_at timestamptz NOT NULL,
  last_modified_at timestamptz NOT NULL,
  scheduled_at timestamptz,
  expires_at timestamptz,
  processed_at timestamptz,
  template_name text,
  event_type text NOT NULL,
  email text,
  mobile_phone text,
  external_id text,
  origin text,
  idempotency_key text,
  language text,
  country text,
  last_error text,
  ctx jsonb NOT NULL,
  archived_at timestamptz NOT NULL DEFAULT now()
);
-- (btree: purged space is reused, which would leave a BRIN index matching every block)
CREATE INDEX event_histo_created_at ON mc.event_histo (created_at);
COMMENT ON TABLE mc.event_histo IS 'Archived events of every execution instance, both queues';
-- User data: pg_dump keeps it (an extension's tables are otherwise dumped as definitions only).
SELECT pg_catalog.pg_extension_config_dump('mc.event_histo', '');
