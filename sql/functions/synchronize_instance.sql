-- What the mcSynch_<name> job runs: pending publications, then one archiving pass, each step
-- in its own transaction. A failed pass is recorded in mc.archive_state and raised again, so
-- that pg_cron's run history shows it too.
-- (No SET clause: a procedure with one cannot COMMIT. Every name and operator is qualified.)
CREATE OR REPLACE PROCEDURE mc.synchronize_instance(instance_name text)
  LANGUAGE plpgsql AS $$
DECLARE
  h timestamptz;
  failure text;
  failure_state text;
BEGIN
  PERFORM mc._execution_instance(instance_name);
  -- (retry_publications keeps an unreachable instance's publications pending itself.)
  PERFORM mc.retry_publications(instance_name);
  COMMIT;
  BEGIN
    h := mc.archive_horizon(instance_name);
  EXCEPTION WHEN OTHERS THEN
    failure := SQLERRM;
    failure_state := SQLSTATE;
  END;
  COMMIT;
  IF failure IS NULL THEN
    BEGIN
      PERFORM mc.archive_instance(instance_name, h);
    EXCEPTION WHEN OTHERS THEN
      failure := SQLERRM;
      failure_state := SQLSTATE;
    END;
  END IF;
  IF failure IS NOT NULL THEN
    -- A fresh transaction: when the instance died mid-pass, postgres_fdw refuses to commit the
    -- one that used its connection ("cannot be used due to abort cleanup failure").
    ROLLBACK;
    UPDATE mc.archive_state s SET last_error = failure, last_error_at = pg_catalog.now()
    WHERE s.instance_name OPERATOR(pg_catalog.=) synchronize_instance.instance_name;
    COMMIT;
    RAISE EXCEPTION 'archiving execution instance "%" failed: %', instance_name, failure
      USING ERRCODE = failure_state;
  END IF;
  COMMIT;
  BEGIN
    PERFORM mc._advance_archive_cursor(instance_name);
  EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'execution instance "%": archive cursor not advanced: %', instance_name, SQLERRM;
  END;
  COMMIT;
END $$;
REVOKE ALL ON PROCEDURE mc.synchronize_instance(text) FROM PUBLIC;
