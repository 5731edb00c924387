-- Event ids carry the instance id in their high byte: mc.set_instance_id restarts this
-- sequence at id << 56, from where 2^56 ids belong to the instance. A plain nextval default (no
-- wrapper function) keeps COPY on its multi-insert path. The bounds are bigint's own, not the
-- instance's range: pg_dump restores a sequence's value but not its definition (it belongs to
-- the extension), so bounds set per instance would refuse the restored value.
CREATE SEQUENCE mc.event_id_seq AS bigint MINVALUE -9223372036854775808 MAXVALUE 9223372036854775807
  START WITH 1;

-- The real-time queue. Fixed-width columns first: no alignment padding.
-- Not partitioned: the idempotency key needs one unique index over the whole table, which a
-- partitioned table only allows if the key includes the partition key. The pending queue is
-- the small partial index.
-- An event row is written three times: at intake, when processing moves it out of the queue,
-- and when the status copy brings its delivery outcome. Each update needs room for the new
-- version on the row's own page: processing's then stays on the page, and the status copy's,
-- which changes no indexed column, is HOT (no index entry, no page elsewhere). The status copy
-- updates every row of a page in the same transaction, whose old versions cannot be pruned
-- before it ends: a page must keep as much free as it holds. Under half full (fillfactor 45)
-- leaves that room; at 85 (0.1.0), five rows in six moved to a new page and were indexed
-- again: half the speed.
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
) WITH (fillfactor = 45);
CREATE UNIQUE INDEX rt_event_idempotency_key ON mc.rt_event (idempotency_key)
  WHERE idempotency_key IS NOT NULL;
-- The queue: unprocessed events only, so it stays as small as the backlog. Keyed by work queue
-- ((id >> 7) & 7: eight partitions of blocks of 128 consecutive ids, so that a batch reads
-- neighbouring rows; concurrent workers take them with the extension's locks, never waiting
-- on each other's rows; src/core/work_queues.hpp), then by the time the event is due, then
-- id. Its predicate is on
-- processed_at, which changes once, when the event leaves the queue: the later status
-- updates (pending_delivery -> sent ...) touch no indexed column and can be HOT.
CREATE INDEX rt_event_queue ON mc.rt_event
  (((id >> 7) & 7), (coalesce(process_requested_at, scheduled_at, created_at)), id)
  WHERE processed_at IS NULL;
CREATE INDEX rt_event_created_at ON mc.rt_event USING brin (created_at);
COMMENT ON TABLE mc.rt_event IS 'Real-time event queue: one message as fast as possible';

CREATE TABLE mc.batch_event (LIKE mc.rt_event INCLUDING ALL) WITH (fillfactor = 45);
COMMENT ON TABLE mc.batch_event IS 'Batch event queue: volume over latency';

-- Processed events by the time they left the queue: what archiving pulls (since its watermark)
-- and what mcCleanup purges (before the retention). A btree, not BRIN: once retention applies,
-- purged space is reused and every block range mixes old and new rows, so a BRIN index would
-- match every block (bench/bloat measured it on created_at). It costs one index entry per event,
-- added by the update that sets processed_at, which is not HOT anyway (the event leaves the
-- queue index); later status updates leave processed_at alone and stay HOT. Pending events
-- have no entry.
CREATE INDEX rt_event_processed_at ON mc.rt_event (processed_at) WHERE processed_at IS NOT NULL;
CREATE INDEX batch_event_processed_at ON mc.batch_event (processed_at) WHERE processed_at IS NOT NULL;

-- Writers push events (functions or INSERT/COPY) and learn the ids of their own pushes. They
-- insert the event's own fields only: ids come from the sequence (an id chosen by a writer
-- could collide with later pushes, or carry another instance's high byte), and the processing
-- state is the extension's.
GRANT INSERT (event_type, email, mobile_phone, external_id, origin, idempotency_key, wished_channel,
              language, country, ctx, scheduled_at, expires_at)
  ON mc.rt_event, mc.batch_event TO mc_event_writer;
GRANT SELECT (id, idempotency_key) ON mc.rt_event, mc.batch_event TO mc_event_writer;
GRANT USAGE ON SEQUENCE mc.event_id_seq TO mc_event_writer;
-- User data: pg_dump keeps the events and where the id sequence has got to.
SELECT pg_catalog.pg_extension_config_dump('mc.rt_event', '');
SELECT pg_catalog.pg_extension_config_dump('mc.batch_event', '');
SELECT pg_catalog.pg_extension_config_dump('mc.event_id_seq', '');
