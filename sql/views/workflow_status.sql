CREATE OR REPLACE VIEW mc.workflow_status AS SELECT * FROM mc._workflow_status();
COMMENT ON VIEW mc.workflow_status IS 'pg_cron jobs of the workflows and their last run';
