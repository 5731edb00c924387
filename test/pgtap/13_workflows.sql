-- Workflow jobs need pg_cron; without it in this database the error says what to do.
BEGIN;
SELECT plan(4);

SELECT throws_ok('SELECT mc.start_workflows()', '55000', 'pg_cron is not installed in database "' || current_database() || '"',
  'start_workflows without pg_cron in this database');
SELECT throws_ok('SELECT mc.stop_workflows()', '55000', NULL, 'stop_workflows likewise');
SELECT is((SELECT count(*)::int FROM mc.workflow_status), 0, 'workflow_status is empty without pg_cron');
SELECT throws_ok('SELECT mc.rt_events_processing(0)', '22023', 'max_events must be at least 1, got 0', 'max_events checked');

SELECT * FROM finish();
ROLLBACK;
