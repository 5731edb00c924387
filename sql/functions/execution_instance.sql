CREATE OR REPLACE FUNCTION mc._execution_instance(instance_name text) RETURNS mc.execution_instance
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  result mc.execution_instance;
BEGIN
  SELECT * INTO result FROM mc.execution_instance i WHERE i.name = instance_name;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'execution instance "%" is not registered', instance_name
      USING ERRCODE = 'undefined_object',
            HINT = 'Register it with mc.register_execution_instance(name, instance_id, conninfo).';
  END IF;
  RETURN result;
END $$;
REVOKE ALL ON FUNCTION mc._execution_instance(text) FROM PUBLIC;
