-- Sets this execution instance's id (0-255), which every new event id carries.
CREATE OR REPLACE FUNCTION mc.set_instance_id(id integer) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  new_id constant bigint := $1;  -- "id" is also a column name
  -- The high byte of a signed bigint: ids of instances >= 128 are negative, still unique.
  low bigint := new_id << 56;
  first bigint := CASE WHEN new_id = 0 THEN 1 ELSE low END;  -- instance 0 starts at 1
BEGIN
  IF new_id IS NULL OR new_id < 0 OR new_id > 255 THEN
    RAISE EXCEPTION 'instance id must be between 0 and 255, got %', new_id
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- Already this id: nothing to move (restarting the sequence would hand out used ids again).
  IF new_id = (SELECT s.instance_id FROM mc.settings s) THEN
    RETURN;
  END IF;
  IF EXISTS (SELECT FROM mc.rt_event e WHERE (e.id >> 56) & 255 <> new_id)
     OR EXISTS (SELECT FROM mc.batch_event e WHERE (e.id >> 56) & 255 <> new_id) THEN
    RAISE EXCEPTION 'cannot set instance id to %: the queues hold events of another instance id', new_id
      USING ERRCODE = 'object_in_use',
            HINT = 'Set the instance id before the first event, or purge the queues.';
  END IF;
  EXECUTE pg_catalog.format('ALTER SEQUENCE mc.event_id_seq START WITH %s RESTART WITH %s', first, first);
  UPDATE mc.settings SET instance_id = new_id;
END $$;
REVOKE ALL ON FUNCTION mc.set_instance_id(integer) FROM PUBLIC;
COMMENT ON FUNCTION mc.set_instance_id(integer) IS 'Sets the execution instance id carried in the high byte of every event id';
