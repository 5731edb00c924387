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
