-- Where the status copy has got to: rows of mc.delivery_log modified before the watermark have
-- been copied onto their events.
CREATE TABLE mc.workflow_state (
  workflow text PRIMARY KEY,
  watermark timestamptz NOT NULL DEFAULT '-infinity',
  last_run_at timestamptz,
  last_handled bigint
);
INSERT INTO mc.workflow_state (workflow) VALUES ('updateEventsStatus');
SELECT pg_catalog.pg_extension_config_dump('mc.workflow_state', '');
CREATE TRIGGER workflow_state_restore BEFORE INSERT ON mc.workflow_state
  FOR EACH ROW EXECUTE FUNCTION mc._merge_seed_row();
