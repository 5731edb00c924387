-- Publishes (or re-publishes) <name>_rt and <name>_batch, in production state, here and on
-- every registered execution instance.
CREATE OR REPLACE FUNCTION mc.publish_template(name text) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM mc._publish_local($1, clock_timestamp());
  PERFORM mc._publish_everywhere($1);
END $$;
REVOKE ALL ON FUNCTION mc.publish_template(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mc.publish_template(text) TO mc_template_manager;
