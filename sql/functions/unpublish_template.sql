-- Removes the published copies, here and on every execution instance.
CREATE OR REPLACE FUNCTION mc.unpublish_template(name text) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  DELETE FROM mc.published_template p WHERE p.template_id = mc._template_id($1);
  PERFORM mc._publish_everywhere($1);
END $$;
REVOKE ALL ON FUNCTION mc.unpublish_template(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mc.unpublish_template(text) TO mc_template_manager;
