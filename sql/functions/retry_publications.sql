-- Pushes what is pending, for one instance or all (and one template or all). An instance that
-- cannot be reached, or refuses, keeps its rows pending with the error; the others go on. An
-- instance lost in the middle of a push fails the whole call. Returns what was delivered.
CREATE OR REPLACE FUNCTION mc.retry_publications(instance_name text DEFAULT NULL, template_name text DEFAULT NULL)
  RETURNS integer
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  pending record;
  delivered integer := 0;
BEGIN
  FOR pending IN
    SELECT ip.instance_name, ip.template_name FROM mc.instance_publication ip
    WHERE ip.status = 'pending' AND ($1 IS NULL OR ip.instance_name = $1)
      AND ($2 IS NULL OR ip.template_name = $2)
    ORDER BY ip.instance_name, ip.requested_at
    FOR UPDATE SKIP LOCKED
  LOOP
    BEGIN
      PERFORM mc._push_publication(pending.instance_name, pending.template_name);
      UPDATE mc.instance_publication ip
      SET status = 'done', attempts = ip.attempts + 1, last_attempt_at = clock_timestamp(),
          last_error = NULL, done_at = clock_timestamp()
      WHERE ip.instance_name = pending.instance_name AND ip.template_name = pending.template_name;
      delivered := delivered + 1;
    EXCEPTION WHEN OTHERS THEN
      -- (08001: no connection was made, so none is left broken.)
      IF SQLSTATE <> '08001' AND NOT mc._instance_connection_usable(pending.instance_name) THEN
        RAISE EXCEPTION 'the connection to execution instance "%" was lost while publishing template "%": %',
          pending.instance_name, pending.template_name, SQLERRM
          USING ERRCODE = 'connection_failure',
                DETAIL = 'postgres_fdw cannot commit a transaction that lost a connection it wrote through: nothing was published, here or on any instance.',
                HINT = 'Run it again: an instance still unreachable is then left pending and retried when it is back.';
      END IF;
      UPDATE mc.instance_publication ip
      SET attempts = ip.attempts + 1, last_attempt_at = clock_timestamp(), last_error = SQLERRM
      WHERE ip.instance_name = pending.instance_name AND ip.template_name = pending.template_name;
      RAISE WARNING 'template "%" is not yet published on execution instance "%": %',
        pending.template_name, pending.instance_name, SQLERRM
        USING HINT = 'It stays pending; mc.retry_publications() (job mcPublicationRetry) sends it when the instance is back.';
    END;
  END LOOP;
  RETURN delivered;
END $$;
REVOKE ALL ON FUNCTION mc.retry_publications(text, text) FROM PUBLIC;
COMMENT ON FUNCTION mc.retry_publications(text, text) IS 'Pushes pending publications to execution instances';
