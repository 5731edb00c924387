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
