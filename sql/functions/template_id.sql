CREATE OR REPLACE FUNCTION mc._template_id(template_name text) RETURNS bigint
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  found_id bigint;
BEGIN
  SELECT t.id INTO found_id FROM mc.template t WHERE t.name = template_name;
  IF found_id IS NULL THEN
    RAISE EXCEPTION 'template "%" does not exist', template_name USING ERRCODE = 'undefined_object';
  END IF;
  RETURN found_id;
END $$;
