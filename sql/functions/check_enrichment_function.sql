-- The enrichment function (mc.settings.enrichment_function) runs inside processing, as the
-- role that runs the workflows (a superuser under pg_cron). So it must be a function whose
-- body no one else can change: owned by a superuser or by the extension's owner. It is stored
-- as its OID (regproc) and called by that OID, never looked up by name again, so a function of
-- the same name put in front of it on a search path is never called.
CREATE OR REPLACE FUNCTION mc._check_enrichment_function() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  fn pg_proc;
BEGIN
  IF NEW.enrichment_function IS NULL THEN
    RETURN NEW;
  END IF;
  SELECT * INTO fn FROM pg_proc p WHERE p.oid = NEW.enrichment_function;
  IF fn.pronargs <> 1 OR fn.proargtypes[0] <> 'bigint[]'::regtype OR NOT fn.proretset THEN
    RAISE EXCEPTION 'enrichment_function % must be fn(ids bigint[]) RETURNS TABLE (event_id bigint, data jsonb)',
      NEW.enrichment_function USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles r WHERE r.oid = fn.proowner AND r.rolsuper)
     AND fn.proowner <> (SELECT x.extowner FROM pg_extension x WHERE x.extname = 'message_center') THEN
    RAISE EXCEPTION 'enrichment_function % is owned by %, which is neither a superuser nor the owner of message_center',
      NEW.enrichment_function, fn.proowner::regrole
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'Processing runs it as the workflows'' role: only a function its owner alone can change may run there.';
  END IF;
  RETURN NEW;
END $$;
