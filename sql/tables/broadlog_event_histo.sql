CREATE TABLE mc.broadlog_event_histo (
  event_id bigint PRIMARY KEY,
  instance_id smallint NOT NULL,
  queue text NOT NULL CHECK (queue IN ('rt', 'batch')),
  status mc.delivery_status NOT NULL,
  channel mc.channel NOT NULL,
  template_name text,
  delivery_month date,
  attempts integer NOT NULL,
  created_at timestamptz NOT NULL,
  last_modified_at timestamptz NOT NULL,
  address text NOT NULL,
  sender text,
  subject text,
  body_html text,
  body_text text,
  push_data text,
  webhook_url text,
  failure_reason text,
  archived_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX broadlog_event_histo_created_at ON mc.broadlog_event_histo (created_at);
COMMENT ON TABLE mc.broadlog_event_histo IS 'Archived delivery logs of every execution instance';
-- User data: pg_dump keeps it (an extension's tables are otherwise dumped as definitions only).
SELECT pg_catalog.pg_extension_config_dump('mc.broadlog_event_histo', '');
