-- message_center 0.1.0 -> 0.2.0: retention and purge (mcCleanup), the control instance
-- (execution instances through postgres_fdw, publication to them, archiving, reports).
\echo Use "ALTER EXTENSION message_center UPDATE TO '0.2.0'" to load this file. \quit
-- Retention and purge (mcCleanup), and what the archive of a control instance needs on an
-- execution instance: a way to find what changed since its last run, and where it has got to.

-- Processed events by the time they left the queue: what archiving pulls (since its watermark)
-- and what mcCleanup purges (before the retention). A btree, not BRIN: once retention applies,
-- purged space is reused and every block range mixes old and new rows, so a BRIN index would
-- match every block (bench/bloat measured it on created_at). It costs one index entry per event,
-- added by the update that sets processed_at, which is not HOT anyway (the event leaves the
-- queue index); later status updates leave processed_at alone and stay HOT. Pending events
-- have no entry.
CREATE INDEX rt_event_processed_at ON mc.rt_event (processed_at) WHERE processed_at IS NOT NULL;
CREATE INDEX batch_event_processed_at ON mc.batch_event (processed_at) WHERE processed_at IS NOT NULL;

-- Written by each control instance that archives this one (through postgres_fdw), after its
-- run has committed: everything processed or modified before archived_through is in its
-- archive, so mcCleanup may purge it.
CREATE TABLE mc.archive_cursor (
  archive text PRIMARY KEY,
  archived_through timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE mc.archive_cursor IS 'How far each archiving control instance has taken this instance''s rows';

-- Which database this is, across clusters: a control instance recognises itself when it
-- registers its own database as an execution instance.
CREATE FUNCTION mc._database_identity() RETURNS text
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
  AS $$ SELECT (SELECT system_identifier FROM pg_control_system())::text || '/' || current_database() $$;

-- Where a reader may safely resume: no transaction still running began before it, so no row
-- it has not seen can carry an earlier timestamp (every writer stamps rows with its start
-- time or later). Read through postgres_fdw by archiving, in a transaction of its own.
CREATE VIEW mc.archive_horizon AS
  SELECT LEAST(pg_catalog.clock_timestamp(),
           (SELECT pg_catalog.min(a.xact_start) FROM pg_catalog.pg_stat_activity a
            WHERE a.backend_type = 'client backend' AND a.pid <> pg_catalog.pg_backend_pid()
              AND a.datname = pg_catalog.current_database())) AS horizon,
         mc._database_identity() AS database_identity;
COMMENT ON VIEW mc.archive_horizon IS 'Safe resume point for incremental readers of this instance';

-- One bounded batch of purging per table: events processed longer ago than their retention
-- (never pending ones), delivery logs and archives not modified for theirs, and never what an
-- archive registered here (mc.archive_cursor) has not taken yet. Each reads an index range of
-- exactly the expired rows (processed_at, last_modified_at, created_at). Returns what it
-- deleted; mc.cleanup() calls it until a batch comes back short.
CREATE FUNCTION mc.purge_expired(max_rows integer DEFAULT 10000)
  RETURNS TABLE (relation text, purged bigint)
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  s mc.settings;
  archived timestamptz;
  key text;
  expired text;
BEGIN
  IF max_rows IS NULL OR max_rows < 1 THEN
    RAISE EXCEPTION 'max_rows must be a positive integer, got %', max_rows
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT * INTO s FROM mc.settings;
  -- No archive registered: retention alone decides.
  SELECT coalesce(min(c.archived_through), 'infinity') INTO archived FROM mc.archive_cursor c;

  -- Per table: its key, and which rows are past retention and safe to purge. Batches of ids
  -- (not one DELETE of everything) keep each transaction short.
  FOR relation, key, expired IN VALUES
    -- ($1 event, $2 delivery log, $3 archive retention; $4 what the archives have taken)
    ('mc.rt_event', 'id', 'processed_at < LEAST(now() - $1, $4) AND last_modified_at < $4'),
    ('mc.batch_event', 'id', 'processed_at < LEAST(now() - $1, $4) AND last_modified_at < $4'),
    ('mc.delivery_log', 'event_id', 'last_modified_at < LEAST(now() - $2, $4)'),
    -- The archives of a control instance (empty elsewhere).
    ('mc.event_histo', 'id', 'created_at < now() - $3'),
    ('mc.broadlog_event_histo', 'event_id', 'created_at < now() - $3')
  LOOP
    EXECUTE format('DELETE FROM %s WHERE %I = ANY (ARRAY(SELECT %I FROM %s WHERE %s LIMIT $5))',
                   relation, key, key, relation, expired)
      USING s.event_retention, s.delivery_log_retention, s.archive_retention, archived, max_rows;
    GET DIAGNOSTICS purged = ROW_COUNT;
    RETURN NEXT;
  END LOOP;
END $$;
REVOKE ALL ON FUNCTION mc.purge_expired(integer) FROM PUBLIC;
COMMENT ON FUNCTION mc.purge_expired(integer) IS 'Purges one batch of rows past their retention per table';

-- mcCleanup: purges in short transactions (a batch each, committed), so no lock is held for
-- long and autovacuum can hand the space to new rows while the purge goes on. Stops when every
-- table's batch came back short: under steady intake there is always a little more, which the
-- next run (a minute later) takes.
-- (No SET clause: a procedure with one cannot COMMIT. Every name is qualified.)
CREATE PROCEDURE mc.cleanup(batch_rows integer DEFAULT 10000, run_for interval DEFAULT '5 minutes')
  LANGUAGE plpgsql AS $$
DECLARE
  stop_at constant timestamptz := pg_catalog.clock_timestamp() + run_for;
  deleted bigint;  -- the most any table gave in the last batch
BEGIN
  LOOP
    SELECT pg_catalog.max(p.purged) INTO deleted FROM mc.purge_expired(batch_rows) p;
    COMMIT;
    EXIT WHEN deleted < batch_rows OR pg_catalog.clock_timestamp() >= stop_at;
  END LOOP;
END $$;
REVOKE ALL ON PROCEDURE mc.cleanup(integer, interval) FROM PUBLIC;
COMMENT ON PROCEDURE mc.cleanup(integer, interval) IS 'mcCleanup: purges past-retention rows in short batches';
-- Control instance: the execution instances it publishes to and archives (spec section 6),
-- each reached through a postgres_fdw server, a user mapping and a schema of foreign tables.

-- The options of a connection string, parsed by libpq; user_mapping marks the credentials.
CREATE FUNCTION mc._conninfo_options(conninfo text)
  RETURNS TABLE (keyword text, value text, user_mapping boolean)
  LANGUAGE c STRICT AS 'MODULE_PATHNAME', 'mc_conninfo_options';
REVOKE ALL ON FUNCTION mc._conninfo_options(text) FROM PUBLIC;

-- No credentials here: they live in the user mapping, which only the mapped user and
-- superusers can read (pg_user_mappings).
CREATE TABLE mc.execution_instance (
  name text PRIMARY KEY CONSTRAINT execution_instance_name_syntax CHECK (name ~ '^[a-z][a-z0-9_]{0,39}$'),
  instance_id smallint NOT NULL UNIQUE CHECK (instance_id BETWEEN 0 AND 255),
  server_name name NOT NULL UNIQUE,
  foreign_schema name NOT NULL UNIQUE,
  -- This very database (minimal architecture, archiving itself): publication skips it, the
  -- templates are already here (and pushing to itself would wait on its own locks).
  is_local boolean NOT NULL DEFAULT false,
  registered_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE mc.execution_instance IS 'Execution instances of this control instance (through postgres_fdw)';

-- What the archive of this control instance is called on the execution instances
-- (mc.archive_cursor there).
CREATE FUNCTION mc._archive_name() RETURNS text
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
  AS $$ SELECT 'control ' || current_database() || ' port ' || current_setting('port') $$;

CREATE FUNCTION mc._execution_instance(instance_name text) RETURNS mc.execution_instance
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

-- Registers an execution instance: a postgres_fdw server from conninfo's host/port/dbname...,
-- a user mapping with its credentials (for the caller and for the extension owner, who runs
-- publication), and a schema mc_exec_<name> of foreign tables onto the instance's mc schema.
-- Checks that the instance answers, runs message_center and carries instance_id. All or
-- nothing: any refusal leaves no server, mapping or schema behind.
CREATE FUNCTION mc.register_execution_instance(name text, instance_id integer, conninfo text)
  RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  instance_name constant text := $1;
  wanted_id constant integer := $2;
  server constant text := 'mc_exec_' || $1;
  foreign_schema constant text := 'mc_exec_' || $1;
  server_options text;
  mapping_options text;
  mapped_user text;
  remote_id integer;
  remote_identity text;
  reason text;
BEGIN
  IF instance_name IS NULL OR instance_name !~ '^[a-z][a-z0-9_]{0,39}$' THEN
    RAISE EXCEPTION 'name must be 1 to 40 lower-case letters, digits or _, starting with a letter, not "%"', instance_name
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF wanted_id IS NULL OR wanted_id NOT BETWEEN 0 AND 255 THEN
    RAISE EXCEPTION 'instance_id must be between 0 and 255, got %', wanted_id
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF conninfo IS NULL THEN
    RAISE EXCEPTION 'conninfo must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'postgres_fdw') THEN
    RAISE EXCEPTION 'postgres_fdw is not installed in database "%"', current_database()
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Run CREATE EXTENSION postgres_fdw on the control instance.';
  END IF;
  IF EXISTS (SELECT FROM mc.execution_instance i WHERE i.name = instance_name) THEN
    RAISE EXCEPTION 'execution instance "%" is already registered', instance_name
      USING ERRCODE = 'duplicate_object';
  END IF;
  IF EXISTS (SELECT FROM mc.execution_instance i WHERE i.instance_id = wanted_id) THEN
    RAISE EXCEPTION 'instance_id % is already used by execution instance "%"', wanted_id,
      (SELECT i.name FROM mc.execution_instance i WHERE i.instance_id = wanted_id)
      USING ERRCODE = 'unique_violation';
  END IF;

  -- Defaults a remote archive wants, unless conninfo says otherwise: a bounded wait on a dead
  -- instance, large fetches, and a name in the instance's pg_stat_activity.
  WITH given AS (SELECT * FROM mc._conninfo_options(conninfo))
  SELECT string_agg(format('%I %L', o.keyword, o.value), ', ') FILTER (WHERE NOT o.user_mapping),
         string_agg(format('%I %L', o.keyword, o.value), ', ') FILTER (WHERE o.user_mapping)
  INTO server_options, mapping_options
  FROM (SELECT g.keyword, g.value, g.user_mapping FROM given g
        UNION ALL
        SELECT d.keyword, d.value, false FROM (VALUES ('connect_timeout', '10'), ('fetch_size', '10000'),
                                                      ('application_name', 'message_center control'))
                                              AS d (keyword, value)
        WHERE NOT EXISTS (SELECT FROM given g WHERE g.keyword = d.keyword)) o;

  EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER postgres_fdw%s', server,
                 coalesce(' OPTIONS (' || server_options || ')', ''));
  FOR mapped_user IN
    SELECT DISTINCT u FROM (VALUES (current_user::text),
      ((SELECT r.rolname::text FROM pg_extension x JOIN pg_roles r ON r.oid = x.extowner
        WHERE x.extname = 'message_center'))) AS m (u)
  LOOP
    EXECUTE format('CREATE USER MAPPING FOR %I SERVER %I%s', mapped_user, server,
                   coalesce(' OPTIONS (' || mapping_options || ')', ''));
  END LOOP;
  EXECUTE format('CREATE SCHEMA %I', foreign_schema);
  EXECUTE format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', foreign_schema);

  BEGIN
    EXECUTE format($q$IMPORT FOREIGN SCHEMA mc LIMIT TO (settings, quarantine, archive_cursor,
        archive_horizon, archive_event_feed, archive_log_feed, publication_inbox)
      FROM SERVER %I INTO %I$q$, server, foreign_schema);
    EXECUTE format('SELECT instance_id FROM %I.settings', foreign_schema) INTO remote_id;
    EXECUTE format('SELECT database_identity FROM %I.archive_horizon', foreign_schema) INTO remote_identity;
  EXCEPTION WHEN fdw_schema_not_found THEN
    RAISE EXCEPTION 'execution instance "%" does not run message_center (no schema mc there)', instance_name
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Run CREATE EXTENSION message_center on it.';
  WHEN sqlclient_unable_to_establish_sqlconnection OR connection_exception
                 OR connection_failure OR invalid_authorization_specification
                 OR invalid_password OR fdw_unable_to_establish_connection THEN
    GET STACKED DIAGNOSTICS reason = PG_EXCEPTION_DETAIL;
    RAISE EXCEPTION 'cannot connect to execution instance "%": %', instance_name,
      coalesce(nullif(reason, ''), SQLERRM)
      USING ERRCODE = 'sqlclient_unable_to_establish_sqlconnection',
            HINT = 'Check conninfo (host, port, dbname, user, password) and that the instance is up.';
  END;
  -- IMPORT creates only what exists: a missing table means no (or an old) message_center.
  IF (SELECT count(*) FROM pg_class c WHERE c.relnamespace = foreign_schema::regnamespace) < 7 THEN
    RAISE EXCEPTION 'execution instance "%" does not run message_center 0.2.0 or later', instance_name
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Run CREATE EXTENSION message_center (or ALTER EXTENSION message_center UPDATE) on it.';
  END IF;
  IF remote_id IS DISTINCT FROM wanted_id THEN
    RAISE EXCEPTION 'instance_id % does not match execution instance "%", whose instance id is %',
      wanted_id, instance_name, remote_id
      USING ERRCODE = 'invalid_parameter_value',
            HINT = format('Run SELECT mc.set_instance_id(%s) on the execution instance, or register it with instance_id %s.',
                          wanted_id, remote_id);
  END IF;

  INSERT INTO mc.execution_instance (name, instance_id, server_name, foreign_schema, is_local)
  VALUES (instance_name, wanted_id, server, foreign_schema, remote_identity = mc._database_identity());
  INSERT INTO mc.archive_state (instance_name) VALUES (instance_name);
  -- A new instance gets every template published so far.
  INSERT INTO mc.instance_publication (instance_name, template_name)
  SELECT instance_name, t.name FROM mc.template t
  WHERE EXISTS (SELECT FROM mc.published_template p WHERE p.template_id = t.id)
    AND remote_identity IS DISTINCT FROM mc._database_identity();
  PERFORM mc.retry_publications(instance_name);
END $$;
REVOKE ALL ON FUNCTION mc.register_execution_instance(text, integer, text) FROM PUBLIC;
COMMENT ON FUNCTION mc.register_execution_instance(text, integer, text) IS 'Registers an execution instance reached through postgres_fdw; checks its instance id';

-- Removes an execution instance: its archiving job, foreign tables, mappings and server, and
-- its cursor on the instance (so that its cleanup no longer waits for this archive). What was
-- archived stays.
CREATE FUNCTION mc.unregister_execution_instance(name text) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  i mc.execution_instance := mc._execution_instance($1);
BEGIN
  PERFORM mc.drop_archiving_workflow(i.name, if_exists => true);
  BEGIN
    EXECUTE format('DELETE FROM %I.archive_cursor WHERE archive = $1', i.foreign_schema)
      USING mc._archive_name();
  EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'could not remove the archive cursor on execution instance "%": %', i.name, SQLERRM
      USING HINT = 'Delete its row from mc.archive_cursor there, or its cleanup keeps waiting for this archive.';
  END;
  EXECUTE format('DROP SCHEMA %I CASCADE', i.foreign_schema);
  EXECUTE format('DROP SERVER %I CASCADE', i.server_name);
  DELETE FROM mc.execution_instance e WHERE e.name = i.name;
END $$;
REVOKE ALL ON FUNCTION mc.unregister_execution_instance(text) FROM PUBLIC;
-- Publication to execution instances (spec sections 5 and 6). The control instance pushes the
-- state of a template (its published copy and paused flag, or "unpublished") into
-- mc.publication_inbox on each instance, through postgres_fdw; a trigger there applies it.
-- An instance that cannot be reached keeps the push pending; retry_publications (the
-- mcPublicationRetry job) sends it when the instance is back.

-- Publishes locally: <name>_rt and <name>_batch from mc.template, dated published_at.
CREATE FUNCTION mc._publish_local(publish_name text, published_at timestamptz) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  tid bigint := mc._template_id(publish_name);
BEGIN
  INSERT INTO mc.published_template AS p (template_id, name, queue, event_type, channel, language,
    sender, subject, body_html, body_text, push_data, webhook_url, published_at)
  SELECT t.id, t.name || '_' || q.queue, q.queue, t.event_type, t.channel, t.language, t.sender,
         t.subject, t.body_html, t.body_text, t.push_data, t.webhook_url, $2
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
REVOKE ALL ON FUNCTION mc._publish_local(text, timestamptz) FROM PUBLIC;

-- On the control instance: what each execution instance still has to receive.
CREATE TABLE mc.instance_publication (
  instance_name text NOT NULL REFERENCES mc.execution_instance (name) ON DELETE CASCADE,
  template_name text NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done')),
  requested_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  last_attempt_at timestamptz,
  last_error text,
  done_at timestamptz,
  PRIMARY KEY (instance_name, template_name)
);
CREATE INDEX instance_publication_pending ON mc.instance_publication (instance_name)
  WHERE status = 'pending';
COMMENT ON TABLE mc.instance_publication IS 'Publication of each template to each execution instance';

-- On an execution instance: where a control instance drops publications. Rows are applied by
-- the trigger and never stored.
CREATE TABLE mc.publication_inbox (
  action text NOT NULL CHECK (action IN ('partial', 'publish', 'unpublish')),
  name text NOT NULL,
  event_type text,
  channel mc.channel,
  language text,
  sender text,
  subject text,
  body_html text,
  body_text text,
  push_data text,
  webhook_url text,
  paused boolean,
  published_at timestamptz,
  partial_body text
);
COMMENT ON TABLE mc.publication_inbox IS 'Publications pushed by a control instance (applied on insert, not stored)';

CREATE FUNCTION mc._apply_publication() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  CASE NEW.action
  WHEN 'partial' THEN
    INSERT INTO mc.partial AS p (name, body) VALUES (NEW.name, NEW.partial_body)
    ON CONFLICT (name) DO UPDATE SET body = excluded.body, updated_at = now()
    WHERE p.body IS DISTINCT FROM excluded.body;
  WHEN 'publish' THEN
    -- The published copy of the control instance becomes this instance's template, so that
    -- its own validation (compile on write) runs here too.
    INSERT INTO mc.template AS t (name, event_type, channel, language, sender, subject,
                                  body_html, body_text, push_data, webhook_url)
    VALUES (NEW.name, NEW.event_type, NEW.channel, NEW.language, NEW.sender, NEW.subject,
            NEW.body_html, NEW.body_text, NEW.push_data, NEW.webhook_url)
    ON CONFLICT (name) DO UPDATE SET event_type = excluded.event_type, channel = excluded.channel,
      language = excluded.language, sender = excluded.sender, subject = excluded.subject,
      body_html = excluded.body_html, body_text = excluded.body_text,
      push_data = excluded.push_data, webhook_url = excluded.webhook_url, updated_at = now();
    PERFORM mc._publish_local(NEW.name, NEW.published_at);
    UPDATE mc.published_template p SET paused = NEW.paused FROM mc.template t
    WHERE t.name = NEW.name AND p.template_id = t.id AND p.paused IS DISTINCT FROM NEW.paused;
  WHEN 'unpublish' THEN
    DELETE FROM mc.published_template p
    WHERE p.template_id = (SELECT t.id FROM mc.template t WHERE t.name = NEW.name);
  END CASE;
  RETURN NULL;
END $$;
CREATE TRIGGER apply_publication BEFORE INSERT ON mc.publication_inbox
  FOR EACH ROW EXECUTE FUNCTION mc._apply_publication();

-- Sends one template's current state to one instance: the partials first (templates include
-- them), then the published copy with its paused flag, or "unpublish".
CREATE FUNCTION mc._push_publication(instance_name text, template_name text) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  i mc.execution_instance := mc._execution_instance(instance_name);
BEGIN
  EXECUTE format($q$INSERT INTO %I.publication_inbox (action, name, partial_body)
                    SELECT 'partial', p.name, p.body FROM mc.partial p$q$, i.foreign_schema);
  -- (The inbox keeps no row, so the remote row count says nothing: decide here.)
  IF EXISTS (SELECT FROM mc.template t JOIN mc.published_template p ON p.template_id = t.id
             WHERE t.name = template_name) THEN
    EXECUTE format($q$INSERT INTO %I.publication_inbox (action, name, event_type, channel, language,
                        sender, subject, body_html, body_text, push_data, webhook_url, paused, published_at)
                      SELECT 'publish', t.name, p.event_type, p.channel, p.language, p.sender,
                             p.subject, p.body_html, p.body_text, p.push_data, p.webhook_url,
                             p.paused, p.published_at
                      FROM mc.template t JOIN mc.published_template p ON p.template_id = t.id
                      WHERE t.name = $1 AND p.queue = 'rt'$q$, i.foreign_schema)
      USING template_name;
  ELSE
    EXECUTE format($q$INSERT INTO %I.publication_inbox (action, name) VALUES ('unpublish', $1)$q$,
                   i.foreign_schema)
      USING template_name;
  END IF;
END $$;
REVOKE ALL ON FUNCTION mc._push_publication(text, text) FROM PUBLIC;

-- Pushes what is pending, for one instance or all (and one template or all). An instance that
-- fails keeps its rows pending with the error; the others go on. Returns what was delivered.
CREATE FUNCTION mc.retry_publications(instance_name text DEFAULT NULL, template_name text DEFAULT NULL)
  RETURNS integer
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  pending record;
  delivered integer := 0;
BEGIN
  FOR pending IN
    SELECT ip.instance_name, ip.template_name FROM mc.instance_publication ip
    WHERE ip.status = 'pending' AND ($1 IS NULL OR ip.instance_name = $1)
      AND ($2 IS NULL OR ip.template_name = $2)
    ORDER BY ip.instance_name, ip.requested_at
    FOR UPDATE SKIP LOCKED
  LOOP
    BEGIN
      PERFORM mc._push_publication(pending.instance_name, pending.template_name);
      UPDATE mc.instance_publication ip
      SET status = 'done', attempts = ip.attempts + 1, last_attempt_at = clock_timestamp(),
          last_error = NULL, done_at = clock_timestamp()
      WHERE ip.instance_name = pending.instance_name AND ip.template_name = pending.template_name;
      delivered := delivered + 1;
    EXCEPTION WHEN OTHERS THEN
      UPDATE mc.instance_publication ip
      SET attempts = ip.attempts + 1, last_attempt_at = clock_timestamp(), last_error = SQLERRM
      WHERE ip.instance_name = pending.instance_name AND ip.template_name = pending.template_name;
      RAISE WARNING 'template "%" is not yet published on execution instance "%": %',
        pending.template_name, pending.instance_name, SQLERRM
        USING HINT = 'It stays pending; mc.retry_publications() (job mcPublicationRetry) sends it when the instance is back.';
    END;
  END LOOP;
  RETURN delivered;
END $$;
REVOKE ALL ON FUNCTION mc.retry_publications(text, text) FROM PUBLIC;
COMMENT ON FUNCTION mc.retry_publications(text, text) IS 'Pushes pending publications to execution instances';

-- Marks a template's state as to be sent to every registered instance, and sends it.
CREATE FUNCTION mc._publish_everywhere(publish_name text) RETURNS void
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

-- Publishes (or re-publishes) <name>_rt and <name>_batch, in production state, here and on
-- every registered execution instance.
CREATE OR REPLACE FUNCTION mc.publish_template(name text) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM mc._publish_local($1, clock_timestamp());
  PERFORM mc._publish_everywhere($1);
END $$;

-- Removes the published copies, here and on every execution instance.
CREATE OR REPLACE FUNCTION mc.unpublish_template(name text) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  DELETE FROM mc.published_template p WHERE p.template_id = mc._template_id($1);
  PERFORM mc._publish_everywhere($1);
END $$;

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

-- Each template's publication on each execution instance.
CREATE VIEW mc.publication_status AS
  SELECT ip.instance_name, ip.template_name, ip.status, ip.requested_at, ip.done_at,
         ip.attempts, ip.last_attempt_at, ip.last_error
  FROM mc.instance_publication ip;
COMMENT ON VIEW mc.publication_status IS 'Publication of each template to each execution instance';
-- The archiving workflow of a control instance (mcSynch_<name>, spec section 6): pulls, from
-- each execution instance through postgres_fdw, the processed events of both queues, their
-- delivery logs and the quarantine, incrementally and idempotently.
--
-- Incremental: a watermark per instance on the time events left the queue (processed_at) and
-- delivery logs last changed (last_modified_at). It only moves to a horizon read from the
-- instance in a transaction of its own, before the pull: no transaction running then had begun
-- earlier, so any row it had not committed carries a later time and is read by the next run.
-- Idempotent: rows are upserted by id, so reading one again changes nothing and a late change
-- (a bounce after "sent") updates the archived row. A run commits its rows and its watermark
-- together; a crash or a dead instance mid-run leaves the previous watermark.

-- What an archive reads on an execution instance, as views so that the joins and the
-- watermark condition run there, next to the data (postgres_fdw pushes the WHERE clause down):
-- processed events of both queues, with the outcome of their delivery log (the archive never
-- shows an older status than the log it holds, even before updateEventsStatus copied it), and
-- delivery logs with their template.
CREATE VIEW mc.archive_event_feed AS
  SELECT e.id, e.queue,
         CASE l.status WHEN 'sent' THEN 'sent' WHEN 'ignored' THEN 'ignored'
                       WHEN 'failed' THEN 'delivery_failed' ELSE e.status END::mc.event_status AS status,
         e.wished_channel, e.error_count, e.created_at, e.last_modified_at, e.scheduled_at,
         e.expires_at, e.processed_at, d.template_name, e.event_type, e.email, e.mobile_phone,
         e.external_id, e.origin, e.idempotency_key, e.language, e.country, e.last_error, e.ctx
  FROM mc.event e  -- both queues; the planner pushes the watermark condition into each
  LEFT JOIN mc.delivery_log l ON l.event_id = e.id
  LEFT JOIN mc.delivery d ON d.id = e.delivery_id
  WHERE e.processed_at IS NOT NULL;
COMMENT ON VIEW mc.archive_event_feed IS 'Processed events as an archive reads them';

CREATE VIEW mc.archive_log_feed AS
  SELECT l.event_id, l.queue, l.status, l.channel, d.template_name, d.month AS delivery_month,
         l.attempts, l.created_at, l.last_modified_at, l.address, l.sender, l.subject,
         l.body_html, l.body_text, l.push_data, l.webhook_url, l.failure_reason
  FROM mc.delivery_log l LEFT JOIN mc.delivery d ON d.id = l.delivery_id;
COMMENT ON VIEW mc.archive_log_feed IS 'Delivery logs as an archive reads them';

CREATE TABLE mc.event_histo (
  id bigint PRIMARY KEY,  -- ids carry their instance id in the high byte: unique across instances
  instance_id smallint NOT NULL,
  queue text NOT NULL CHECK (queue IN ('rt', 'batch')),
  status mc.event_status NOT NULL,
  wished_channel mc.channel NOT NULL,
  error_count integer NOT NULL,
  created_at timestamptz NOT NULL,
  last_modified_at timestamptz NOT NULL,
  scheduled_at timestamptz,
  expires_at timestamptz,
  processed_at timestamptz,
  template_name text,
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
  archived_at timestamptz NOT NULL DEFAULT now()
);
-- (btree: purged space is reused, which would leave a BRIN index matching every block)
CREATE INDEX event_histo_created_at ON mc.event_histo (created_at);
COMMENT ON TABLE mc.event_histo IS 'Archived events of every execution instance, both queues';

CREATE TABLE mc.broadlog_event_histo (
  event_id bigint PRIMARY KEY,
  instance_id smallint NOT NULL,
  queue text NOT NULL CHECK (queue IN ('rt', 'batch')),
  status mc.delivery_status NOT NULL,
  channel mc.channel NOT NULL,
  template_name text,
  delivery_month date,
  attempts integer NOT NULL,
  created_at timestamptz NOT NULL,
  last_modified_at timestamptz NOT NULL,
  address text NOT NULL,
  sender text,
  subject text,
  body_html text,
  body_text text,
  push_data text,
  webhook_url text,
  failure_reason text,
  archived_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX broadlog_event_histo_created_at ON mc.broadlog_event_histo (created_at);
COMMENT ON TABLE mc.broadlog_event_histo IS 'Archived delivery logs of every execution instance';

CREATE TABLE mc.archive_state (
  instance_name text PRIMARY KEY REFERENCES mc.execution_instance (name) ON DELETE CASCADE,
  watermark timestamptz NOT NULL DEFAULT '-infinity',
  runs bigint NOT NULL DEFAULT 0,
  last_run_at timestamptz,
  last_events bigint,
  last_logs bigint,
  last_quarantine bigint,
  last_error text,
  last_error_at timestamptz
);
COMMENT ON TABLE mc.archive_state IS 'How far archiving has got on each execution instance';

-- The instance's horizon (mc.archive_horizon there). Call it in a transaction that has not
-- read from the instance yet: postgres_fdw keeps one remote transaction per local one.
CREATE FUNCTION mc.archive_horizon(instance_name text) RETURNS timestamptz
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  i mc.execution_instance := mc._execution_instance(instance_name);
  h timestamptz;
BEGIN
  EXECUTE format('SELECT horizon FROM %I.archive_horizon', i.foreign_schema) INTO h;
  RETURN h;
END $$;
REVOKE ALL ON FUNCTION mc.archive_horizon(text) FROM PUBLIC;

-- One archiving pass over an instance, up to horizon (from mc.archive_horizon, read in an
-- earlier transaction). Concurrent passes over the same instance run one after the other.
CREATE FUNCTION mc.archive_instance(instance_name text, horizon timestamptz)
  RETURNS TABLE (events bigint, delivery_logs bigint, quarantined bigint)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  i mc.execution_instance := mc._execution_instance(instance_name);
  st mc.archive_state;
BEGIN
  IF horizon IS NULL THEN
    RAISE EXCEPTION 'horizon must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  SELECT * INTO st FROM mc.archive_state s WHERE s.instance_name = i.name FOR UPDATE;
  EXECUTE format($sql$
    INSERT INTO mc.event_histo AS h (id, instance_id, queue, status, wished_channel, error_count,
      created_at, last_modified_at, scheduled_at, expires_at, processed_at, template_name,
      event_type, email, mobile_phone, external_id, origin, idempotency_key, language, country,
      last_error, ctx)
    SELECT f.id, $2, f.queue, f.status, f.wished_channel, f.error_count, f.created_at,
           f.last_modified_at, f.scheduled_at, f.expires_at, f.processed_at, f.template_name,
           f.event_type, f.email, f.mobile_phone, f.external_id, f.origin, f.idempotency_key,
           f.language, f.country, f.last_error, f.ctx
    FROM %I.archive_event_feed f
    WHERE f.processed_at >= $1
    ON CONFLICT (id) DO UPDATE SET status = excluded.status, error_count = excluded.error_count,
      last_modified_at = excluded.last_modified_at, processed_at = excluded.processed_at,
      template_name = excluded.template_name, last_error = excluded.last_error,
      archived_at = now()
    WHERE (h.status, h.last_modified_at) IS DISTINCT FROM (excluded.status, excluded.last_modified_at)
    $sql$, i.foreign_schema)
    USING st.watermark, i.instance_id;
  GET DIAGNOSTICS events = ROW_COUNT;

  -- Delivery logs changed since the watermark, and the outcome they carry onto the archived
  -- events (a bounce after "sent" turns the event to delivery_failed).
  EXECUTE format($sql$
    WITH pulled AS (
      INSERT INTO mc.broadlog_event_histo AS h (event_id, instance_id, queue, status, channel,
        template_name, delivery_month, attempts, created_at, last_modified_at, address, sender,
        subject, body_html, body_text, push_data, webhook_url, failure_reason)
      SELECT l.event_id, $2, l.queue, l.status, l.channel, l.template_name, l.delivery_month,
             l.attempts, l.created_at, l.last_modified_at, l.address, l.sender, l.subject,
             l.body_html, l.body_text, l.push_data, l.webhook_url, l.failure_reason
      FROM %I.archive_log_feed l
      WHERE l.last_modified_at >= $1
      ON CONFLICT (event_id) DO UPDATE SET status = excluded.status, attempts = excluded.attempts,
        last_modified_at = excluded.last_modified_at, failure_reason = excluded.failure_reason,
        archived_at = now()
      WHERE (h.status, h.last_modified_at) IS DISTINCT FROM (excluded.status, excluded.last_modified_at)
      -- xmax = 0: a row this statement inserted. Its event came with the same outcome from
      -- the event feed (same remote snapshot); only a changed log has anything to carry over.
      RETURNING h.event_id, h.status, h.xmax = 0 AS inserted),
    outcome AS (
      UPDATE mc.event_histo e
      SET status = CASE p.status WHEN 'sent' THEN 'sent' WHEN 'ignored' THEN 'ignored'
                                 ELSE 'delivery_failed' END::mc.event_status
      FROM pulled p
      WHERE e.id = p.event_id AND NOT p.inserted AND p.status <> 'pending'
        AND e.status IS DISTINCT FROM CASE p.status WHEN 'sent' THEN 'sent' WHEN 'ignored' THEN 'ignored'
                                                    ELSE 'delivery_failed' END::mc.event_status)
    SELECT count(*) FROM pulled
    $sql$, i.foreign_schema)
    INTO delivery_logs USING st.watermark, i.instance_id;

  -- The instance's quarantine joins this one (a small table: read whole when it changed).
  EXECUTE format($sql$
    INSERT INTO mc.quarantine AS x (channel, address, reason, error_count, created_at, updated_at)
    SELECT q.channel, q.address, q.reason, q.error_count, q.created_at, q.updated_at
    FROM %I.quarantine q WHERE q.updated_at >= $1
    ON CONFLICT (channel, address) DO UPDATE SET reason = excluded.reason,
      error_count = greatest(x.error_count, excluded.error_count), updated_at = excluded.updated_at
    WHERE excluded.updated_at > x.updated_at
    $sql$, i.foreign_schema)
    USING st.watermark;
  GET DIAGNOSTICS quarantined = ROW_COUNT;

  UPDATE mc.archive_state s
  SET watermark = greatest(s.watermark, horizon), runs = s.runs + 1, last_run_at = now(),
      last_events = events, last_logs = delivery_logs, last_quarantine = quarantined,
      last_error = NULL, last_error_at = NULL
  WHERE s.instance_name = i.name;
  RETURN NEXT;
END $$;
REVOKE ALL ON FUNCTION mc.archive_instance(text, timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION mc.archive_instance(text, timestamptz) IS 'One archiving pass over an execution instance, up to a horizon';

-- Tells the instance how far its archive has got (the watermark of the last committed run),
-- so that its cleanup never purges what this archive has not taken. postgres_fdw has no
-- ON CONFLICT DO UPDATE: update, else insert; runs are serialised by the archive_state lock.
CREATE FUNCTION mc._advance_archive_cursor(instance_name text) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  i mc.execution_instance := mc._execution_instance(instance_name);
  w timestamptz;
  updated bigint;
BEGIN
  SELECT s.watermark INTO w FROM mc.archive_state s WHERE s.instance_name = i.name FOR UPDATE;
  EXECUTE format('UPDATE %I.archive_cursor SET archived_through = $2, updated_at = now() WHERE archive = $1',
                 i.foreign_schema) USING mc._archive_name(), w;
  GET DIAGNOSTICS updated = ROW_COUNT;  -- (EXECUTE does not set FOUND)
  IF updated = 0 THEN
    EXECUTE format('INSERT INTO %I.archive_cursor (archive, archived_through, updated_at) VALUES ($1, $2, now())',
                   i.foreign_schema) USING mc._archive_name(), w;
  END IF;
END $$;
REVOKE ALL ON FUNCTION mc._advance_archive_cursor(text) FROM PUBLIC;

-- What the mcSynch_<name> job runs: pending publications, then one archiving pass, each step
-- in its own transaction. A failed pass is recorded in mc.archive_state and raised again, so
-- that pg_cron's run history shows it too.
-- (No SET clause: a procedure with one cannot COMMIT. Every name is qualified.)
CREATE PROCEDURE mc.synchronize_instance(instance_name text)
  LANGUAGE plpgsql AS $$
DECLARE
  h timestamptz;
  failure text;
  failure_state text;
BEGIN
  PERFORM mc._execution_instance(instance_name);
  -- (retry_publications keeps an unreachable instance's publications pending itself.)
  PERFORM mc.retry_publications(instance_name);
  COMMIT;
  BEGIN
    h := mc.archive_horizon(instance_name);
  EXCEPTION WHEN OTHERS THEN
    failure := SQLERRM;
    failure_state := SQLSTATE;
  END;
  COMMIT;
  IF failure IS NULL THEN
    BEGIN
      PERFORM mc.archive_instance(instance_name, h);
    EXCEPTION WHEN OTHERS THEN
      failure := SQLERRM;
      failure_state := SQLSTATE;
    END;
  END IF;
  IF failure IS NOT NULL THEN
    -- A fresh transaction: when the instance died mid-pass, postgres_fdw refuses to commit the
    -- one that used its connection ("cannot be used due to abort cleanup failure").
    ROLLBACK;
    UPDATE mc.archive_state s SET last_error = failure, last_error_at = pg_catalog.now()
    WHERE s.instance_name = synchronize_instance.instance_name;
    COMMIT;
    RAISE EXCEPTION 'archiving execution instance "%" failed: %', instance_name, failure
      USING ERRCODE = failure_state;
  END IF;
  COMMIT;
  BEGIN
    PERFORM mc._advance_archive_cursor(instance_name);
  EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'execution instance "%": archive cursor not advanced: %', instance_name, SQLERRM;
  END;
  COMMIT;
END $$;
REVOKE ALL ON PROCEDURE mc.synchronize_instance(text) FROM PUBLIC;

-- Creates (or reschedules) and starts the archiving job mcSynch_<name>; hourly by default.
CREATE FUNCTION mc.create_archiving_workflow(name text, schedule text DEFAULT '0 * * * *')
  RETURNS bigint
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  i mc.execution_instance := mc._execution_instance($1);
  job bigint;
BEGIN
  PERFORM mc._require_pg_cron();
  IF schedule IS NULL THEN
    RAISE EXCEPTION 'schedule must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  EXECUTE 'SELECT cron.schedule_in_database($1, $2, $3, $4)' INTO job
    USING 'mcSynch_' || i.name, schedule,
          format('CALL mc.synchronize_instance(%L)', i.name), current_database();
  RETURN job;
END $$;
REVOKE ALL ON FUNCTION mc.create_archiving_workflow(text, text) FROM PUBLIC;
COMMENT ON FUNCTION mc.create_archiving_workflow(text, text) IS 'Creates and starts the pg_cron job mcSynch_<name> archiving an execution instance';

CREATE FUNCTION mc.drop_archiving_workflow(name text, if_exists boolean DEFAULT false)
  RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  job text := 'mcSynch_' || $1;
BEGIN
  IF to_regclass('cron.job') IS NOT NULL THEN
    EXECUTE 'SELECT jobname FROM cron.job WHERE jobname = $1 AND database = current_database()'
      INTO job USING job;
    IF job IS NOT NULL THEN
      EXECUTE 'SELECT cron.unschedule($1)' USING job;
      RETURN;
    END IF;
  END IF;
  IF NOT if_exists THEN
    RAISE EXCEPTION 'no archiving workflow for execution instance "%"', $1
      USING ERRCODE = 'undefined_object';
  END IF;
END $$;
REVOKE ALL ON FUNCTION mc.drop_archiving_workflow(text, boolean) FROM PUBLIC;
-- Reports of a control instance over the archive (spec section 6).

-- Every archived event with its message and outcome, and the instance it ran on.
CREATE VIEW mc.event_history AS
  SELECT e.id, i.name AS instance_name, e.instance_id, e.queue, e.event_type, e.wished_channel,
         e.language, e.status, e.template_name, e.email, e.mobile_phone, e.external_id, e.origin,
         e.created_at, e.scheduled_at, e.processed_at, e.error_count, e.last_error,
         l.address, l.subject, l.status AS delivery_status, l.failure_reason,
         l.last_modified_at AS delivery_reported_at, e.ctx
  FROM mc.event_histo e
  LEFT JOIN mc.broadlog_event_histo l ON l.event_id = e.id
  LEFT JOIN mc.execution_instance i ON i.instance_id = e.instance_id;
COMMENT ON VIEW mc.event_history IS 'Archived events with their message and delivery outcome';

-- Service level per hour, instance, queue, event type and channel: incoming events, outgoing
-- messages (reported sent), time in queue (due -> processed), delivery time (processed ->
-- outcome reported) and the error rate (delivery failed, expired or not taken into account).
CREATE VIEW mc.service_level AS
  SELECT date_trunc('hour', e.created_at) AS hour,
         coalesce(i.name, 'instance ' || e.instance_id) AS instance_name,
         e.queue, e.event_type, e.wished_channel AS channel,
         count(*) AS incoming,
         count(*) FILTER (WHERE l.status = 'sent') AS outgoing,
         avg(e.processed_at - greatest(e.created_at, e.scheduled_at)) AS avg_time_in_queue,
         avg(l.last_modified_at - e.processed_at) FILTER (WHERE l.status <> 'pending') AS avg_delivery_time,
         round(count(*) FILTER (WHERE e.status IN ('delivery_failed', 'expired', 'not_taken_into_account'))::numeric
               / count(*), 4) AS error_rate
  FROM mc.event_histo e
  LEFT JOIN mc.broadlog_event_histo l ON l.event_id = e.id
  LEFT JOIN mc.execution_instance i ON i.instance_id = e.instance_id
  GROUP BY 1, 2, 3, 4, 5;
COMMENT ON VIEW mc.service_level IS 'Throughput, time in queue, delivery time and error rate per hour';

-- Each execution instance and how its archiving and publication stand.
CREATE VIEW mc.execution_instance_status AS
  SELECT i.name, i.instance_id, i.server_name, i.is_local, i.registered_at, s.watermark AS archived_through,
         s.runs AS archive_runs, s.last_run_at, s.last_events, s.last_logs, s.last_error,
         s.last_error_at,
         (SELECT count(*) FROM mc.instance_publication p
          WHERE p.instance_name = i.name AND p.status = 'pending') AS pending_publications
  FROM mc.execution_instance i LEFT JOIN mc.archive_state s ON s.instance_name = i.name;
COMMENT ON VIEW mc.execution_instance_status IS 'Execution instances, their archiving and pending publications';
-- Throughput of the processing and status-copy workflows.

-- An event row is written three times: at intake, when processing moves it out of the queue,
-- and when the status copy brings its delivery outcome. Each update needs room for the new
-- version on the row's own page: processing's then stays on the page, and the status copy's,
-- which changes no indexed column, is HOT (no index entry, no page elsewhere). The status copy
-- updates every row of a page in the same transaction, whose old versions cannot be pruned
-- before it ends: a page must keep as much free as it holds. Under half full leaves that room
-- (at 85, five rows in six moved to a new page and were indexed again: half the speed).
-- Applies to pages written from now on.
ALTER TABLE mc.rt_event SET (fillfactor = 45);
ALTER TABLE mc.batch_event SET (fillfactor = 45);

-- A large copy hashes the changed delivery-log rows (a whole backlog's outcomes at once):
-- let the hash table stay in memory rather than spill to temporary files.
ALTER FUNCTION mc.update_events_status() SET work_mem = '64MB';

-- The batch job drains the queue until nothing is due. A call that found every work queue
-- with due events taken by other workers handles nothing: that is no reason to stop while
-- they still hold events, or a second worker quits as soon as it meets the first one's locks
-- and the backlog is drained by one.
CREATE OR REPLACE PROCEDURE mc.batch_events_loop(run_for interval DEFAULT '55 seconds')
  LANGUAGE plpgsql AS $$
DECLARE
  stop_at constant timestamptz := pg_catalog.clock_timestamp() + run_for;
BEGIN
  LOOP
    IF mc.batch_events_processing() = 0 THEN
      EXIT WHEN NOT EXISTS (SELECT FROM mc.batch_event e WHERE e.processed_at IS NULL
        AND coalesce(e.process_requested_at, e.scheduled_at, e.created_at) <= pg_catalog.now());
      COMMIT;
      PERFORM pg_catalog.pg_sleep(0.001);
    ELSE
      COMMIT;
    END IF;
    EXIT WHEN pg_catalog.clock_timestamp() >= stop_at;
  END LOOP;
END $$;
-- The pg_cron jobs of an instance, with mcCleanup and the publication retry of a control
-- instance added. The archiving jobs (mcSynch_<name>) have their own functions and show in
-- mc.workflow_status too.
CREATE OR REPLACE FUNCTION mc._workflow_jobs() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY['rtEventsProcessing', 'batchEventsProcessing', 'updateEventsStatus', 'mcCleanup',
               'mcPublicationRetry', 'mcCronHistoryPurge']
$$;

CREATE OR REPLACE FUNCTION mc.start_workflows() RETURNS SETOF text
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  job record;
BEGIN
  PERFORM mc._require_pg_cron();
  FOR job IN SELECT * FROM (VALUES
      ('rtEventsProcessing', '* * * * *', 'CALL mc.rt_events_loop()'),
      ('batchEventsProcessing', '* * * * *', 'CALL mc.batch_events_loop()'),
      ('updateEventsStatus', '* * * * *', 'SELECT mc.update_events_status()'),
      -- Small batches often: space freed by a purge is reused before the table grows.
      ('mcCleanup', '* * * * *', 'CALL mc.cleanup()'),
      -- A control instance: publications an execution instance missed while it was down.
      ('mcPublicationRetry', '* * * * *', 'SELECT mc.retry_publications()'),
      -- pg_cron never purges its run history: a row per run, ~7,000 a day here.
      ('mcCronHistoryPurge', '17 * * * *',
       $q$DELETE FROM cron.job_run_details WHERE end_time < now() - interval '3 days'
            AND jobid IN (SELECT jobid FROM cron.job WHERE jobname = ANY (mc._workflow_jobs())
                          OR jobname LIKE 'mcSynch\_%')$q$)
    ) AS j (name, schedule, command)
  LOOP
    EXECUTE 'SELECT cron.schedule_in_database($1, $2, $3, $4)'
      USING job.name, job.schedule, job.command, current_database();
    RETURN NEXT job.name;
  END LOOP;
END $$;

CREATE OR REPLACE FUNCTION mc._workflow_status()
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
    WHERE j.database = current_database()
      AND (j.jobname = ANY (mc._workflow_jobs()) OR j.jobname LIKE 'mcSynch\_%')
    ORDER BY j.jobname$q$;
END $$;
-- mc_control_agent: what the user a control instance connects as (its user mapping) needs on
-- an execution instance, and nothing more: read the archive feeds and quarantine, move its
-- archive cursor, drop publications into the inbox.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'mc_control_agent') THEN
    CREATE ROLE mc_control_agent NOLOGIN;
  END IF;
END $$;
GRANT USAGE ON SCHEMA mc TO mc_control_agent;
GRANT SELECT ON mc.settings, mc.quarantine, mc.archive_horizon, mc.archive_event_feed,
  mc.archive_log_feed TO mc_control_agent;
GRANT SELECT, INSERT, UPDATE, DELETE ON mc.archive_cursor TO mc_control_agent;
GRANT INSERT ON mc.publication_inbox TO mc_control_agent;

-- Status readers also read the reports of a control instance.
GRANT SELECT ON mc.event_history, mc.service_level, mc.execution_instance_status,
  mc.publication_status TO mc_status_reader;
