-- Event ids carry the instance id in their high byte: mc.set_instance_id moves this
-- sequence into [id << 56, (id + 1) << 56). A plain nextval default (no wrapper function)
-- keeps COPY on its multi-insert path.
CREATE SEQUENCE mc.event_id_seq AS bigint MINVALUE 1 MAXVALUE 72057594037927935;

-- Validates a row as mc.push_event does; raises the refusal (SQLSTATE, field) itself so that
-- INSERT and COPY report the same errors. Used by the tables' CHECK constraints.
CREATE FUNCTION mc.event_is_valid(
    event_type text, email text, mobile_phone text, external_id text, origin text,
    idempotency_key text, language text, country text, ctx jsonb,
    scheduled_at timestamptz, expires_at timestamptz)
  RETURNS boolean LANGUAGE c STABLE PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'mc_event_is_valid';

-- The real-time queue. Fixed-width columns first: no alignment padding.
-- Not partitioned: the idempotency key needs one unique index over the whole table, which a
-- partitioned table only allows if the key includes the partition key. The pending queue is
-- the small partial index; fillfactor leaves room for HOT status updates.
CREATE TABLE mc.rt_event (
  id bigint NOT NULL DEFAULT nextval('mc.event_id_seq') PRIMARY KEY,
  status mc.event_status NOT NULL DEFAULT 'pending',
  wished_channel mc.channel NOT NULL DEFAULT 'email',
  error_count integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_modified_at timestamptz NOT NULL DEFAULT now(),
  scheduled_at timestamptz,
  expires_at timestamptz,
  process_requested_at timestamptz,
  processing_at timestamptz,
  processed_at timestamptz,
  template_id bigint,
  delivery_id bigint,
  event_type text NOT NULL,
  email text,
  mobile_phone text,
  external_id text,
  origin text,
  idempotency_key text,
  language text,
  country text,
  last_error text,
  ctx jsonb NOT NULL,
  CONSTRAINT event_in_queue CHECK ((status = 'pending') = (processed_at IS NULL)),
  CONSTRAINT event_valid CHECK (mc.event_is_valid(event_type, email, mobile_phone, external_id,
    origin, idempotency_key, language, country, ctx, scheduled_at, expires_at))
) WITH (fillfactor = 85);
CREATE UNIQUE INDEX rt_event_idempotency_key ON mc.rt_event (idempotency_key)
  WHERE idempotency_key IS NOT NULL;
-- The queue: unprocessed events only, so it stays as small as the backlog. Keyed by work queue
-- (id & 7: eight partitions that concurrent workers take with advisory locks, never waiting
-- on each other's rows), then by the time the event is due, then id. Its predicate is on
-- processed_at, which changes once, when the event leaves the queue: the later status
-- updates (pending_delivery -> sent ...) touch no indexed column and can be HOT.
CREATE INDEX rt_event_queue ON mc.rt_event
  ((id & 7), (coalesce(process_requested_at, scheduled_at, created_at)), id)
  WHERE processed_at IS NULL;
CREATE INDEX rt_event_created_at ON mc.rt_event USING brin (created_at);
COMMENT ON TABLE mc.rt_event IS 'Real-time event queue: one message as fast as possible';

CREATE TABLE mc.batch_event (LIKE mc.rt_event INCLUDING ALL) WITH (fillfactor = 85);
COMMENT ON TABLE mc.batch_event IS 'Batch event queue: volume over latency';

-- Sets this execution instance's id (0-255), which every new event id carries.
CREATE FUNCTION mc.set_instance_id(id integer) RETURNS void
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
  IF EXISTS (SELECT FROM mc.rt_event e WHERE (e.id >> 56) & 255 <> new_id)
     OR EXISTS (SELECT FROM mc.batch_event e WHERE (e.id >> 56) & 255 <> new_id) THEN
    RAISE EXCEPTION 'cannot set instance id to %: the queues hold events of another instance id', new_id
      USING ERRCODE = 'object_in_use',
            HINT = 'Set the instance id before the first event, or purge the queues.';
  END IF;
  EXECUTE pg_catalog.format(
    'ALTER SEQUENCE mc.event_id_seq MINVALUE %s MAXVALUE %s START WITH %s RESTART WITH %s',
    low, low + 72057594037927935, first, first);
  UPDATE mc.settings SET instance_id = new_id;
END $$;
REVOKE ALL ON FUNCTION mc.set_instance_id(integer) FROM PUBLIC;
COMMENT ON FUNCTION mc.set_instance_id(integer) IS 'Sets the execution instance id carried in the high byte of every event id';
