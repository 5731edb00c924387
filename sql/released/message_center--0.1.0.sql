-- message_center install script, stitched from sql/install/*.sql by the Makefile.
\echo Use "CREATE EXTENSION message_center" to load this file. \quit

-- Every object below is schema-qualified; the path is pinned anyway so that nothing a
-- user put in front of it can capture a name while the script runs.
SELECT pg_catalog.set_config('search_path', 'mc, pg_catalog', true);

CREATE SCHEMA mc;
COMMENT ON SCHEMA mc IS 'message_center: transactional messaging';
-- Four roles, created once per cluster (roles are not database objects, so DROP EXTENSION
-- leaves them). Grant them to login roles: GRANT mc_event_writer TO app;
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['mc_event_writer', 'mc_status_reader', 'mc_template_manager', 'mc_delivery_agent'] LOOP
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r) THEN
      EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
    END IF;
  END LOOP;
END $$;
-- Processing state of an event (spec section 3).
CREATE TYPE mc.event_status AS ENUM (
  'pending', 'pending_delivery', 'sent', 'ignored', 'delivery_failed',
  'not_taken_into_account', 'expired');
COMMENT ON TYPE mc.event_status IS 'Processing state of an event';

-- Delivery channels. The original product's numeric codes (0, 1, 41, 42) are accepted by
-- mc.push_event / mc.push_events and translated to these names.
CREATE TYPE mc.channel AS ENUM ('email', 'sms', 'push_ios', 'push_android', 'webhook');
COMMENT ON TYPE mc.channel IS 'Delivery channel of an event, template and message';

-- Outcome of one message in the delivery log.
CREATE TYPE mc.delivery_status AS ENUM ('pending', 'sent', 'ignored', 'failed');
COMMENT ON TYPE mc.delivery_status IS 'Delivery outcome of one message';
-- One row of instance settings. The C++ code caches it per backend; the statement trigger
-- below invalidates every backend's copy when it changes.
CREATE TABLE mc.settings (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  instance_id smallint NOT NULL DEFAULT 0 CHECK (instance_id BETWEEN 0 AND 255),
  max_ctx_bytes integer NOT NULL DEFAULT 65536 CHECK (max_ctx_bytes BETWEEN 2 AND 67108864),
  rt_pending_threshold integer NOT NULL DEFAULT 1000 CHECK (rt_pending_threshold > 0),
  batch_pending_threshold integer NOT NULL DEFAULT 1000000 CHECK (batch_pending_threshold > 0),
  max_processing_attempts integer NOT NULL DEFAULT 5 CHECK (max_processing_attempts > 0),
  retry_backoff interval NOT NULL DEFAULT '10 seconds' CHECK (retry_backoff > '0'),
  processing_batch_size integer NOT NULL DEFAULT 1000 CHECK (processing_batch_size BETWEEN 1 AND 100000),
  -- Optional: called once per batch as fn(ids bigint[]) RETURNS TABLE (event_id bigint, data jsonb);
  -- templates see the data under the root key "enrichment".
  enrichment_function regproc,
  event_retention interval NOT NULL DEFAULT '30 days' CHECK (event_retention > '0'),
  delivery_log_retention interval NOT NULL DEFAULT '180 days' CHECK (delivery_log_retention > '0'),
  archive_retention interval NOT NULL DEFAULT '360 days' CHECK (archive_retention > '0')
);
COMMENT ON TABLE mc.settings IS 'Instance settings (one row); change with UPDATE, instance_id with mc.set_instance_id';
INSERT INTO mc.settings DEFAULT VALUES;
SELECT pg_catalog.pg_extension_config_dump('mc.settings', '');

-- Statement trigger: a relcache invalidation of the table it is on, which every backend's
-- caches of that table's content listen to.
CREATE FUNCTION mc._invalidate_cache() RETURNS trigger
  LANGUAGE c AS 'MODULE_PATHNAME', 'mc_invalidate_cache';
CREATE TRIGGER settings_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mc.settings
  FOR EACH STATEMENT EXECUTE FUNCTION mc._invalidate_cache();
-- Intake reads the settings as the pushing user (through the CHECK constraint too); none
-- of them is secret.
GRANT SELECT ON mc.settings TO PUBLIC;
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
-- Message templates as authors write them. Content parts per channel (spec section 5):
-- email sender/subject/body_html/body_text; sms body_text; push subject (title), body_text
-- (body), data; webhook url, body_text. Parts are Mustache.
CREATE TABLE mc.template (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE
    CONSTRAINT template_name_syntax CHECK (name ~ '^[A-Za-z][A-Za-z0-9_-]{0,55}$'),
  event_type text NOT NULL CHECK (length(event_type) BETWEEN 1 AND 64),
  channel mc.channel NOT NULL DEFAULT 'email',
  language text,
  sender text,
  subject text,
  body_html text,
  body_text text,
  push_data text,
  webhook_url text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE mc.template IS 'Message templates as written by their authors';

-- Published copies (<name>_rt and <name>_batch), in production state: what routing reads.
CREATE TABLE mc.published_template (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  template_id bigint NOT NULL REFERENCES mc.template (id) ON DELETE CASCADE,
  name text NOT NULL UNIQUE,
  queue text NOT NULL CHECK (queue IN ('rt', 'batch')),
  event_type text NOT NULL,
  channel mc.channel NOT NULL,
  language text,
  sender text,
  subject text,
  body_html text,
  body_text text,
  push_data text,
  webhook_url text,
  paused boolean NOT NULL DEFAULT false,
  published_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (template_id, queue)
);
CREATE INDEX published_template_route
  ON mc.published_template (queue, event_type, channel, language, published_at DESC);
COMMENT ON TABLE mc.published_template IS 'Published template copies per queue, read by routing';

-- Shared blocks that template parts include with {{> name}} (headers, footers, layouts).
CREATE TABLE mc.partial (
  name text PRIMARY KEY CHECK (name ~ '^[A-Za-z][A-Za-z0-9_.-]{0,62}$'),
  body text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE mc.partial IS 'Mustache partials shared by templates ({{> name}})';

-- Test ("seed") addresses with a sample ctx to preview a template before publishing.
CREATE TABLE mc.seed_address (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  template_id bigint NOT NULL REFERENCES mc.template (id) ON DELETE CASCADE,
  email text,
  mobile_phone text,
  ctx jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(ctx) = 'object')
);
-- A delivery groups the messages of one published template for one month.
CREATE TABLE mc.delivery (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  published_template_id bigint REFERENCES mc.published_template (id) ON DELETE SET NULL,
  template_name text NOT NULL,
  month date NOT NULL CHECK (month = date_trunc('month', month)),
  channel mc.channel NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (template_name, month)
);
COMMENT ON TABLE mc.delivery IS 'Monthly delivery of one published template';

-- One row per processed event: the rendered message, its address and its delivery outcome.
CREATE TABLE mc.delivery_log (
  event_id bigint PRIMARY KEY,
  status mc.delivery_status NOT NULL DEFAULT 'pending',
  channel mc.channel NOT NULL,
  -- No foreign key: its per-row check (a locking lookup per message) would cost more than
  -- the insert itself; processing writes only ids it has just read from mc.delivery.
  delivery_id bigint NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_modified_at timestamptz NOT NULL DEFAULT now(),
  lease_until timestamptz,
  queue text NOT NULL CHECK (queue IN ('rt', 'batch')),
  address text NOT NULL,
  sender text,
  subject text,
  body_html text,
  body_text text,
  push_data text,
  webhook_url text,
  failure_reason text
) WITH (fillfactor = 85);
CREATE INDEX delivery_log_last_modified ON mc.delivery_log (last_modified_at);
CREATE INDEX delivery_log_pending ON mc.delivery_log (channel, event_id) WHERE status = 'pending';
COMMENT ON TABLE mc.delivery_log IS 'Rendered messages and their delivery outcome, one per event';

-- Addresses the delivery refuses to send to; their events are ignored.
CREATE TABLE mc.quarantine (
  channel mc.channel NOT NULL,
  address text NOT NULL,
  reason text NOT NULL,
  error_count integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (channel, address)
);
COMMENT ON TABLE mc.quarantine IS 'Quarantined (denylisted) addresses per channel';
-- Pushes one event (a JSON document with camelCase keys) into the 'rt' or 'batch' queue;
-- returns its id, or the first event's id if its idempotencyKey was already used.
CREATE FUNCTION mc.push_event(event jsonb, queue text DEFAULT 'rt') RETURNS bigint
  LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'mc_push_event';
COMMENT ON FUNCTION mc.push_event(jsonb, text) IS 'Pushes one event; returns its id';

-- Pushes a JSON array of events, all or nothing; returns their ids in array order.
CREATE FUNCTION mc.push_events(events jsonb, queue text DEFAULT 'batch') RETURNS SETOF bigint
  LANGUAGE c VOLATILE ROWS 1000 AS 'MODULE_PATHNAME', 'mc_push_events';
COMMENT ON FUNCTION mc.push_events(jsonb, text) IS 'Pushes an array of events, all or nothing; returns their ids';

REVOKE ALL ON FUNCTION mc.push_event(jsonb, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION mc.push_events(jsonb, text) FROM PUBLIC;
-- Template authoring and publication (spec section 5).

-- Compiles one Mustache part; raises 42601 with the part, line and column when it does not parse.
CREATE FUNCTION mc._check_template_part(part text, source text) RETURNS void
  LANGUAGE c AS 'MODULE_PATHNAME', 'mc_check_template_part';

-- Every template and partial is compiled when written, whichever way it is written.
CREATE FUNCTION mc._template_before_write() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF TG_TABLE_NAME = 'partial' THEN
    PERFORM mc._check_template_part('partial ' || NEW.name, NEW.body);
    NEW.updated_at := now();
    RETURN NEW;
  END IF;
  CASE NEW.channel
    WHEN 'email' THEN
      IF NEW.subject IS NULL OR (NEW.body_html IS NULL AND NEW.body_text IS NULL) THEN
        RAISE EXCEPTION 'template "%": an email template needs subject and body_html or body_text', NEW.name
          USING ERRCODE = 'not_null_violation';
      END IF;
    WHEN 'sms' THEN
      IF NEW.body_text IS NULL THEN
        RAISE EXCEPTION 'template "%": an sms template needs body_text', NEW.name USING ERRCODE = 'not_null_violation';
      END IF;
    WHEN 'webhook' THEN
      IF NEW.webhook_url IS NULL THEN
        RAISE EXCEPTION 'template "%": a webhook template needs webhook_url', NEW.name USING ERRCODE = 'not_null_violation';
      END IF;
    ELSE  -- push
      IF NEW.subject IS NULL AND NEW.body_text IS NULL THEN
        RAISE EXCEPTION 'template "%": a push template needs subject (title) or body_text (body)', NEW.name
          USING ERRCODE = 'not_null_violation';
      END IF;
  END CASE;
  IF NEW.language IS NOT NULL AND NEW.language !~ '^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$' THEN
    RAISE EXCEPTION 'template "%": language "%" is not a language tag such as "fr" or "pt-BR"', NEW.name, NEW.language
      USING ERRCODE = 'invalid_text_representation';
  END IF;
  PERFORM mc._check_template_part('sender', NEW.sender);
  PERFORM mc._check_template_part('subject', NEW.subject);
  PERFORM mc._check_template_part('body_html', NEW.body_html);
  PERFORM mc._check_template_part('body_text', NEW.body_text);
  PERFORM mc._check_template_part('push_data', NEW.push_data);
  PERFORM mc._check_template_part('webhook_url', NEW.webhook_url);
  NEW.updated_at := now();
  RETURN NEW;
END $$;
CREATE TRIGGER template_before_write BEFORE INSERT OR UPDATE ON mc.template
  FOR EACH ROW EXECUTE FUNCTION mc._template_before_write();
CREATE TRIGGER partial_before_write BEFORE INSERT OR UPDATE ON mc.partial
  FOR EACH ROW EXECUTE FUNCTION mc._template_before_write();

-- Creates a template; its parts are compiled now and refused with line and column if they do
-- not parse. Parts per channel: email sender/subject/body_html/body_text; sms body_text; push
-- subject (title), body_text (body), push_data; webhook webhook_url, body_text (body).
CREATE FUNCTION mc.create_template(
    name text, event_type text, channel text DEFAULT 'email',
    subject text DEFAULT NULL, body_html text DEFAULT NULL, body_text text DEFAULT NULL,
    language text DEFAULT NULL, sender text DEFAULT NULL,
    push_data text DEFAULT NULL, webhook_url text DEFAULT NULL)
  RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  new_id bigint;
BEGIN
  IF channel IS NULL OR channel NOT IN ('email', 'sms', 'push_ios', 'push_android', 'webhook') THEN
    RAISE EXCEPTION 'channel must be one of email, sms, push_ios, push_android, webhook, not "%"', channel
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF EXISTS (SELECT FROM mc.template t WHERE t.name = create_template.name) THEN
    RAISE EXCEPTION 'template "%" already exists', create_template.name USING ERRCODE = 'duplicate_object',
      HINT = 'Change it with UPDATE mc.template, then publish it again.';
  END IF;
  INSERT INTO mc.template (name, event_type, channel, subject, body_html, body_text, language,
                           sender, push_data, webhook_url)
  VALUES ($1, $2, $3::mc.channel, $4, $5, $6, $7, $8, $9, $10)
  RETURNING id INTO new_id;
  RETURN new_id;
END $$;

CREATE FUNCTION mc._template_id(template_name text) RETURNS bigint
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

-- Publishes (or re-publishes) <name>_rt and <name>_batch, in production state.
CREATE FUNCTION mc.publish_template(name text) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  tid bigint := mc._template_id($1);
BEGIN
  INSERT INTO mc.published_template AS p (template_id, name, queue, event_type, channel, language,
    sender, subject, body_html, body_text, push_data, webhook_url, published_at)
  SELECT t.id, t.name || '_' || q.queue, q.queue, t.event_type, t.channel, t.language, t.sender,
         t.subject, t.body_html, t.body_text, t.push_data, t.webhook_url, clock_timestamp()
  FROM mc.template t CROSS JOIN (VALUES ('rt'), ('batch')) AS q (queue)
  WHERE t.id = tid
  ON CONFLICT ON CONSTRAINT published_template_name_key DO UPDATE SET
    event_type = excluded.event_type, channel = excluded.channel, language = excluded.language,
    sender = excluded.sender, subject = excluded.subject, body_html = excluded.body_html,
    body_text = excluded.body_text, push_data = excluded.push_data,
    webhook_url = excluded.webhook_url, published_at = excluded.published_at;
  -- The deliveries of this month and the next exist before any event needs them, so that
  -- concurrent workers only read them (creating one would make a second worker wait).
  INSERT INTO mc.delivery (published_template_id, template_name, month, channel)
  SELECT p.id, p.name, m.month, p.channel
  FROM mc.published_template p
  CROSS JOIN (VALUES (date_trunc('month', now())::date),
                     ((date_trunc('month', now()) + interval '1 month')::date)) AS m (month)
  WHERE p.template_id = tid
  ON CONFLICT (template_name, month) DO NOTHING;
END $$;

-- Removes the published copies; events of that type wait for no one: routing decides anew.
CREATE FUNCTION mc.unpublish_template(name text) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  DELETE FROM mc.published_template p WHERE p.template_id = mc._template_id($1);
END $$;

-- A paused template's events wait in pending instead of being processed.
CREATE FUNCTION mc._set_paused(template_name text, pause boolean) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  UPDATE mc.published_template p SET paused = pause WHERE p.template_id = mc._template_id(template_name);
  IF NOT FOUND THEN
    RAISE EXCEPTION 'template "%" is not published', template_name
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
END $$;
REVOKE ALL ON FUNCTION mc._set_paused(text, boolean) FROM PUBLIC;

CREATE FUNCTION mc.pause_template(name text) RETURNS void
  LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$ SELECT mc._set_paused($1, true) $$;
CREATE FUNCTION mc.resume_template(name text) RETURNS void
  LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$ SELECT mc._set_paused($1, false) $$;

-- Renders a template for each of its seed addresses (or a given ctx), without publishing.
CREATE FUNCTION mc.preview_template(name text, ctx jsonb DEFAULT NULL)
  RETURNS TABLE (seed_id bigint, address text, sender text, subject text, body_html text,
                 body_text text, push_data text, webhook_url text)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  tid bigint := mc._template_id($1);
  partials jsonb := (SELECT coalesce(jsonb_object_agg(p.name, p.body), '{}') FROM mc.partial p);
BEGIN
  RETURN QUERY
  WITH seeds AS (
    SELECT s.id, coalesce(s.email, s.mobile_phone) AS address,
           jsonb_build_object('ctx', s.ctx, 'email', s.email, 'mobilePhone', s.mobile_phone) AS root
    FROM mc.seed_address s WHERE s.template_id = tid AND $2 IS NULL
    UNION ALL
    SELECT NULL, NULL, jsonb_build_object('ctx', $2) WHERE $2 IS NOT NULL)
  SELECT s.id, s.address,
         mc.render_template(t.sender, s.root, partials, 'none'),
         mc.render_template(t.subject, s.root, partials, 'none'),
         mc.render_template(t.body_html, s.root, partials, 'html'),
         mc.render_template(t.body_text, s.root, partials, 'none'),
         mc.render_template(t.push_data, s.root, partials, 'none'),
         mc.render_template(t.webhook_url, s.root, partials, 'url')
  FROM seeds s CROSS JOIN mc.template t WHERE t.id = tid;
END $$;

-- Preview/testing: renders Mustache against ctx itself. escape: 'html', 'none' or 'url'.
CREATE FUNCTION mc.render_template(template text, ctx jsonb, partials jsonb DEFAULT NULL,
                                   escape text DEFAULT 'html')
  RETURNS text LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'mc_render_template';

-- Any change to what routing reads reaches every backend's compiled-template cache.
CREATE TRIGGER published_template_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON mc.published_template FOR EACH STATEMENT EXECUTE FUNCTION mc._invalidate_cache();
CREATE TRIGGER partial_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON mc.partial FOR EACH STATEMENT EXECUTE FUNCTION mc._invalidate_cache();

REVOKE ALL ON FUNCTION mc.create_template(text, text, text, text, text, text, text, text, text, text),
  mc.publish_template(text), mc.unpublish_template(text), mc.pause_template(text),
  mc.resume_template(text), mc.preview_template(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mc.create_template(text, text, text, text, text, text, text, text, text, text),
  mc.publish_template(text), mc.unpublish_template(text), mc.pause_template(text),
  mc.resume_template(text), mc.preview_template(text, jsonb) TO mc_template_manager;

-- Benchmark hook (bench/render): renders per second of a template from jsonb, compiled once,
-- rendered `iterations` times in the backend. partial is the text of {{> footer}}.
CREATE FUNCTION mc._render_benchmark(template text, ctx jsonb, partial text, iterations integer)
  RETURNS double precision LANGUAGE c AS 'MODULE_PATHNAME', 'mc_render_benchmark';
REVOKE ALL ON FUNCTION mc._render_benchmark(text, jsonb, text, integer) FROM PUBLIC;
-- The delivery API: whatever sends messages claims pending ones under a lease and reports
-- each outcome. A crashed sender's lease expires and its messages are claimed again.

CREATE FUNCTION mc.claim_messages(channel text, max_messages integer,
                                  lease interval DEFAULT '5 minutes')
  RETURNS TABLE (event_id bigint, address text, sender text, subject text, body_html text,
                 body_text text, push_data text, webhook_url text, attempts integer)
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF $1 IS NULL OR $1 NOT IN ('email', 'sms', 'push_ios', 'push_android', 'webhook') THEN
    RAISE EXCEPTION 'channel must be one of email, sms, push_ios, push_android, webhook, not "%"', $1
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF $2 IS NULL OR $2 < 1 OR $2 > 100000 THEN
    RAISE EXCEPTION 'max_messages must be between 1 and 100000, got %', $2
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF $3 IS NULL OR $3 <= interval '0' THEN
    RAISE EXCEPTION 'lease must be a positive interval, got %', $3
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- SKIP LOCKED: concurrent senders never wait on, nor get, each other's messages.
  RETURN QUERY
  WITH claimable AS (
    SELECT d.event_id FROM mc.delivery_log d
    WHERE d.status = 'pending' AND d.channel = $1::mc.channel
      AND (d.lease_until IS NULL OR d.lease_until < clock_timestamp())
    ORDER BY d.event_id LIMIT $2
    FOR UPDATE SKIP LOCKED)
  UPDATE mc.delivery_log d
  SET lease_until = clock_timestamp() + $3, attempts = d.attempts + 1
  FROM claimable c WHERE d.event_id = c.event_id
  RETURNING d.event_id, d.address, d.sender, d.subject, d.body_html, d.body_text, d.push_data,
            d.webhook_url, d.attempts;
END $$;
COMMENT ON FUNCTION mc.claim_messages(text, integer, interval) IS 'Claims pending messages of a channel under a lease';

-- Reports a message's outcome: 'sent', 'ignored' or 'failed' (with a reason such as
-- user_unknown, invalid_domain, mailbox_full, denylisted, rejected). A later report replaces an
-- earlier one (a bounce after 'sent'); updateEventsStatus copies it onto the event.
CREATE FUNCTION mc.report_delivery(event_id bigint, status text, failure_reason text DEFAULT NULL)
  RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF $2 IS NULL OR $2 NOT IN ('sent', 'ignored', 'failed') THEN
    RAISE EXCEPTION 'status must be sent, ignored or failed, not "%"', $2
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF $2 = 'failed' AND $3 IS NULL THEN
    RAISE EXCEPTION 'failure_reason is required when status is failed'
      USING ERRCODE = 'not_null_violation';
  END IF;
  UPDATE mc.delivery_log d
  SET status = $2::mc.delivery_status, failure_reason = $3, lease_until = NULL,
      last_modified_at = clock_timestamp()
  WHERE d.event_id = $1;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no message for event %', $1 USING ERRCODE = 'no_data_found';
  END IF;
END $$;
COMMENT ON FUNCTION mc.report_delivery(bigint, text, text) IS 'Reports the delivery outcome of one message';

REVOKE ALL ON FUNCTION mc.claim_messages(text, integer, interval),
  mc.report_delivery(bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mc.claim_messages(text, integer, interval),
  mc.report_delivery(bigint, text, text) TO mc_delivery_agent;
-- The technical workflows of an execution instance (spec section 4), as plain functions that a
-- test or an operator can call, and as pg_cron jobs.

-- Takes due pending events of a queue and turns each into one rendered message. Returns the
-- number of events handled (routed, refused, retried or expired).
CREATE FUNCTION mc.rt_events_processing(max_events integer DEFAULT NULL) RETURNS bigint
  LANGUAGE c AS 'MODULE_PATHNAME', 'mc_rt_events_processing';
CREATE FUNCTION mc.batch_events_processing(max_events integer DEFAULT NULL) RETURNS bigint
  LANGUAGE c AS 'MODULE_PATHNAME', 'mc_batch_events_processing';

-- Where the status copy has got to: rows of mc.delivery_log modified before the watermark have
-- been copied onto their events.
CREATE TABLE mc.workflow_state (
  workflow text PRIMARY KEY,
  watermark timestamptz NOT NULL DEFAULT '-infinity',
  last_run_at timestamptz,
  last_handled bigint
);
INSERT INTO mc.workflow_state (workflow) VALUES ('updateEventsStatus');

-- Copies sent / ignored / failed from the delivery log onto the events, incrementally.
CREATE FUNCTION mc.update_events_status() RETURNS bigint
  LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'mc_update_events_status';

-- The rt job: keeps processing, committing every batch and polling every millisecond when idle,
-- until just after the next minute, when pg_cron starts the next run (pg_cron queues a run
-- whose previous one is still going, so the handover leaves no gap). Real-time latency is
-- milliseconds, not the minute of a cron line.
-- (No SET search_path clause: a procedure with one cannot COMMIT. Every name is qualified.)
CREATE PROCEDURE mc.rt_events_loop(run_for interval DEFAULT NULL)
  LANGUAGE plpgsql AS $$
DECLARE
  stop_at constant timestamptz := coalesce(pg_catalog.clock_timestamp() + run_for,
    pg_catalog.date_trunc('minute', pg_catalog.clock_timestamp()) + interval '61 seconds');
  handled bigint;
BEGIN
  LOOP
    handled := mc.rt_events_processing();
    COMMIT;
    EXIT WHEN pg_catalog.clock_timestamp() >= stop_at;
    IF handled = 0 THEN
      PERFORM pg_catalog.pg_sleep(0.001);
    END IF;
  END LOOP;
END $$;

-- The batch job: drains the batch queue a batch per transaction, for at most a minute.
CREATE PROCEDURE mc.batch_events_loop(run_for interval DEFAULT '55 seconds')
  LANGUAGE plpgsql AS $$
DECLARE
  stop_at constant timestamptz := pg_catalog.clock_timestamp() + run_for;
BEGIN
  LOOP
    EXIT WHEN mc.batch_events_processing() = 0;
    COMMIT;
    EXIT WHEN pg_catalog.clock_timestamp() >= stop_at;
  END LOOP;
END $$;

-- The pg_cron jobs of the workflows, by name.
CREATE FUNCTION mc._workflow_jobs() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY['rtEventsProcessing', 'batchEventsProcessing', 'updateEventsStatus', 'mcCronHistoryPurge']
$$;

CREATE FUNCTION mc._require_pg_cron() RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF NOT (SELECT 'pg_cron' = ANY (string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ','))) THEN
    RAISE EXCEPTION 'pg_cron is not preloaded'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Add pg_cron to shared_preload_libraries in postgresql.conf and restart PostgreSQL.';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
    RAISE EXCEPTION 'pg_cron is not installed in database "%"', current_database()
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Set cron.database_name to this database and run CREATE EXTENSION pg_cron.';
  END IF;
END $$;

-- Creates (or re-creates) the pg_cron jobs of this execution instance.
CREATE FUNCTION mc.start_workflows() RETURNS SETOF text
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  job record;
BEGIN
  PERFORM mc._require_pg_cron();
  FOR job IN SELECT * FROM (VALUES
      ('rtEventsProcessing', '* * * * *', 'CALL mc.rt_events_loop()'),
      ('batchEventsProcessing', '* * * * *', 'CALL mc.batch_events_loop()'),
      ('updateEventsStatus', '* * * * *', 'SELECT mc.update_events_status()'),
      -- pg_cron never purges its run history: a row per run, ~5,000 a day here.
      ('mcCronHistoryPurge', '17 * * * *',
       $q$DELETE FROM cron.job_run_details WHERE end_time < now() - interval '3 days'
            AND jobid IN (SELECT jobid FROM cron.job WHERE jobname = ANY (mc._workflow_jobs()))$q$)
    ) AS j (name, schedule, command)
  LOOP
    EXECUTE 'SELECT cron.schedule_in_database($1, $2, $3, $4)'
      USING job.name, job.schedule, job.command, current_database();
    RETURN NEXT job.name;
  END LOOP;
END $$;

-- Removes the jobs. A running rt loop finishes its current minute.
CREATE FUNCTION mc.stop_workflows() RETURNS SETOF text
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  name text;
BEGIN
  PERFORM mc._require_pg_cron();
  FOR name IN EXECUTE $q$SELECT jobname FROM cron.job WHERE database = current_database()
      AND jobname = ANY (mc._workflow_jobs())$q$
  LOOP
    EXECUTE 'SELECT cron.unschedule($1)' USING name;
    RETURN NEXT name;
  END LOOP;
END $$;

-- Each workflow's job, schedule and last run, read from pg_cron (empty without pg_cron).
CREATE FUNCTION mc._workflow_status()
  RETURNS TABLE (workflow text, schedule text, active boolean, last_start timestamptz,
                 last_end timestamptz, last_status text, last_message text)
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF to_regclass('cron.job') IS NULL THEN
    RETURN;
  END IF;
  RETURN QUERY EXECUTE $q$
    SELECT j.jobname::text, j.schedule::text, j.active, d.start_time, d.end_time, d.status::text,
           d.return_message::text
    FROM cron.job j
    LEFT JOIN LATERAL (SELECT r.start_time, r.end_time, r.status, r.return_message
                       FROM cron.job_run_details r WHERE r.jobid = j.jobid
                       ORDER BY r.runid DESC LIMIT 1) d ON true
    WHERE j.database = current_database() AND j.jobname = ANY (mc._workflow_jobs())
    ORDER BY j.jobname$q$;
END $$;
CREATE VIEW mc.workflow_status AS SELECT * FROM mc._workflow_status();
COMMENT ON VIEW mc.workflow_status IS 'pg_cron jobs of the workflows and their last run';

REVOKE ALL ON FUNCTION mc.rt_events_processing(integer), mc.batch_events_processing(integer),
  mc.update_events_status(), mc.start_workflows(), mc.stop_workflows() FROM PUBLIC;
REVOKE ALL ON PROCEDURE mc.rt_events_loop(interval), mc.batch_events_loop(interval) FROM PUBLIC;
-- Both queues as one relation.
CREATE VIEW mc.event AS
  SELECT 'rt'::text AS queue, e.* FROM mc.rt_event e
  UNION ALL
  SELECT 'batch'::text AS queue, e.* FROM mc.batch_event e;
COMMENT ON VIEW mc.event IS 'Events of both queues, with a queue column';

-- Every queue and status, with zero counts too, so a dashboard never misses a row.
CREATE VIEW mc.event_status_summary AS
  SELECT q.queue, s.status, coalesce(c.events, 0) AS events, c.oldest_created_at,
         c.last_modified_at
  FROM (VALUES ('rt'::text), ('batch'::text)) AS q (queue)
  CROSS JOIN unnest(enum_range(NULL::mc.event_status)) AS s (status)
  LEFT JOIN (SELECT e.queue, e.status, count(*) AS events, min(e.created_at) AS oldest_created_at,
                    max(e.last_modified_at) AS last_modified_at
             FROM mc.event e GROUP BY e.queue, e.status) AS c
    ON c.queue = q.queue AND c.status = s.status;
COMMENT ON VIEW mc.event_status_summary IS 'Event counts per queue and status';

-- The health page of the original product: Ok with the pending count against its threshold,
-- or Error when a queue is over it. Counts read the queue index (unprocessed events only).
CREATE VIEW mc.queue_health AS
  SELECT p.queue, p.pending, p.threshold, p.oldest_pending_at,
         CASE WHEN p.pending > p.threshold THEN 'Error' ELSE 'Ok' END AS health,
         format('%s: %s pending events in the %s queue (threshold %s)',
                CASE WHEN p.pending > p.threshold THEN 'Error' ELSE 'Ok' END,
                p.pending, p.queue, p.threshold) AS message
  FROM (SELECT 'rt'::text AS queue,
               (SELECT count(*) FROM mc.rt_event WHERE processed_at IS NULL) AS pending,
               (SELECT min(created_at) FROM mc.rt_event WHERE processed_at IS NULL) AS oldest_pending_at,
               s.rt_pending_threshold AS threshold
        FROM mc.settings s
        UNION ALL
        SELECT 'batch'::text,
               (SELECT count(*) FROM mc.batch_event WHERE processed_at IS NULL),
               (SELECT min(created_at) FROM mc.batch_event WHERE processed_at IS NULL),
               s.batch_pending_threshold
        FROM mc.settings s) AS p;
COMMENT ON VIEW mc.queue_health IS 'Ok/Error per queue: pending events against the threshold';
-- What each of the three roles (00_roles.sql) may do.


GRANT USAGE ON SCHEMA mc TO mc_event_writer, mc_status_reader, mc_template_manager;

-- Writers push events (functions or INSERT/COPY) and learn the ids of their own pushes.
GRANT EXECUTE ON FUNCTION mc.push_event(jsonb, text), mc.push_events(jsonb, text)
  TO mc_event_writer;
GRANT INSERT ON mc.rt_event, mc.batch_event TO mc_event_writer;
GRANT SELECT (id, idempotency_key) ON mc.rt_event, mc.batch_event TO mc_event_writer;
GRANT USAGE ON SEQUENCE mc.event_id_seq TO mc_event_writer;

-- Readers see the status views, not the queues themselves.
GRANT SELECT ON mc.event, mc.event_status_summary, mc.queue_health TO mc_status_reader;

-- Template managers write templates and their seed addresses and see what is published.
GRANT SELECT, INSERT, UPDATE, DELETE ON mc.template, mc.seed_address TO mc_template_manager;
GRANT SELECT ON mc.published_template TO mc_template_manager;
