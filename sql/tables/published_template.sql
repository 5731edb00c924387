-- Published copies (<name>_rt and <name>_batch), in production state: what routing reads.
CREATE TABLE mc.published_template (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  template_id bigint NOT NULL REFERENCES mc.template (id) ON DELETE CASCADE,
  name text NOT NULL UNIQUE,
  queue text NOT NULL CHECK (queue IN ('rt', 'batch')),
  event_type text NOT NULL,
  channel mc.channel NOT NULL,
  language text,
  sender text,
  subject text,
  body_html text,
  body_text text,
  push_data text,
  webhook_url text,
  paused boolean NOT NULL DEFAULT false,
  published_at timestamptz NOT NULL DEFAULT now(),
  unsubscribe_url text,
  UNIQUE (template_id, queue)
);
CREATE INDEX published_template_route
  ON mc.published_template (queue, event_type, channel, language, published_at DESC);
COMMENT ON TABLE mc.published_template IS 'Published template copies per queue, read by routing';
-- Any change to what routing reads reaches every backend's compiled-template cache.
CREATE TRIGGER published_template_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON mc.published_template FOR EACH STATEMENT EXECUTE FUNCTION mc._invalidate_cache();
GRANT SELECT ON mc.published_template TO mc_template_manager;
-- User data: pg_dump keeps it (an extension's tables are otherwise dumped as definitions only).
SELECT pg_catalog.pg_extension_config_dump('mc.published_template', '');
SELECT pg_catalog.pg_extension_config_dump('mc.published_template_id_seq', '');  -- its identity column
