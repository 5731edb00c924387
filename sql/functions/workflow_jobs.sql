-- The pg_cron jobs of an instance, with mcCleanup and the publication retry of a control
-- instance added. The archiving jobs (mcSynch_<name>) have their own functions and show in
-- mc.workflow_status too.
CREATE OR REPLACE FUNCTION mc._workflow_jobs() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY['rtEventsProcessing', 'batchEventsProcessing', 'updateEventsStatus', 'mcCleanup',
               'mcPublicationRetry', 'mcCronHistoryPurge', 'mcSenders']
$$;
