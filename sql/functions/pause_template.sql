-- A paused template's events wait in pending instead of being processed, on every instance.
CREATE OR REPLACE FUNCTION mc._set_paused(template_name text, pause boolean) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  UPDATE mc.published_template p SET paused = pause WHERE p.template_id = mc._template_id(template_name);
  IF NOT FOUND THEN
    RAISE EXCEPTION 'template "%" is not published', template_name
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  PERFORM mc._publish_everywhere(template_name);
END $$;
REVOKE ALL ON FUNCTION mc._set_paused(text, boolean) FROM PUBLIC;

CREATE OR REPLACE FUNCTION mc.pause_template(name text) RETURNS void
  LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$ SELECT mc._set_paused($1, true) $$;
REVOKE ALL ON FUNCTION mc.pause_template(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mc.pause_template(text) TO mc_template_manager;
CREATE OR REPLACE FUNCTION mc.resume_template(name text) RETURNS void
  LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$ SELECT mc._set_paused($1, false) $$;
REVOKE ALL ON FUNCTION mc.resume_template(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mc.resume_template(text) TO mc_template_manager;
