-- Marks a template's state as to be sent to every registered instance, and sends it.
CREATE OR REPLACE FUNCTION mc._publish_everywhere(publish_name text) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  INSERT INTO mc.instance_publication AS ip (instance_name, template_name)
  SELECT i.name, $1 FROM mc.execution_instance i WHERE NOT i.is_local
  ON CONFLICT (instance_name, template_name) DO UPDATE
    SET status = 'pending', requested_at = now(), attempts = 0, last_error = NULL, done_at = NULL;
  IF FOUND THEN
    PERFORM mc.retry_publications(NULL, $1);
  END IF;
END $$;
REVOKE ALL ON FUNCTION mc._publish_everywhere(text) FROM PUBLIC;
