-- The baseline: a competent plain SQL / PL/pgSQL implementation of the processing step, in the
-- two usual styles, over tables shaped like message_center's.
--   update style: claim pending events (FOR UPDATE SKIP LOCKED), join templates, render with
--                 replace(), insert message rows, update the events' status.
--   queue style:  events stay put; a narrow queue table is consumed with DELETE ... RETURNING
--                 (SKIP LOCKED), messages are inserted, no event row is updated.
-- One transaction per batch of 1,000.
\set ON_ERROR_STOP on
DROP SCHEMA IF EXISTS base CASCADE;
CREATE SCHEMA base;
CREATE TABLE base.template (id int PRIMARY KEY GENERATED ALWAYS AS IDENTITY, event_type text UNIQUE,
  subject text, body_html text, body_text text);
INSERT INTO base.template (event_type, subject, body_html, body_text)
  SELECT event_type, subject, body_html, body_text FROM bench.workload_template;
CREATE TABLE base.event (LIKE mc.batch_event INCLUDING DEFAULTS INCLUDING INDEXES) WITH (fillfactor = 85);
-- The queue a competent implementation would scan: unprocessed events by id.
CREATE INDEX ON base.event (id) WHERE processed_at IS NULL;
CREATE TABLE base.queue (event_id bigint PRIMARY KEY);
CREATE TABLE base.message (event_id bigint PRIMARY KEY, template_id int, address text, subject text,
  body_html text, body_text text, status text NOT NULL DEFAULT 'pending',
  created_at timestamptz NOT NULL DEFAULT now(), last_modified_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX ON base.message (last_modified_at);

-- Rendering by replace(): the ten interpolations and the item list.
CREATE FUNCTION base.render(src text, ctx jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
           regexp_replace(src, '{{#ctx.order.items}}.*{{/ctx.order.items}}',
             (SELECT string_agg(format('<li>%s x%s</li>', i->>'name', i->>'qty'), '')
              FROM jsonb_array_elements(ctx->'order'->'items') i)),
           '{{ctx.customer.firstName}}', ctx->'customer'->>'firstName'),
           '{{ctx.customer.lastName}}', ctx->'customer'->>'lastName'),
           '{{ctx.order.id}}', ctx->'order'->>'id'),
           '{{ctx.order.date}}', ctx->'order'->>'date'),
           '{{ctx.order.total}}', ctx->'order'->>'total'),
           '{{ctx.order.currency}}', ctx->'order'->>'currency'),
           '{{ctx.shipping.city}}', ctx->'shipping'->>'city'),
           '{{ctx.shipping.country}}', ctx->'shipping'->>'country'),
           '{{ctx.tracking}}', ctx->>'tracking'),
           '&', '&amp;')
$$;

CREATE PROCEDURE base.process_update_style(batch int DEFAULT 1000) LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  LOOP
    WITH claimed AS MATERIALIZED (
      SELECT e.id, e.event_type, e.email, e.ctx FROM base.event e
      WHERE e.processed_at IS NULL ORDER BY e.id LIMIT batch FOR UPDATE SKIP LOCKED),
    inserted AS (
      INSERT INTO base.message (event_id, template_id, address, subject, body_html, body_text)
      SELECT c.id, t.id, c.email, base.render(t.subject, c.ctx), base.render(t.body_html, c.ctx),
             base.render(t.body_text, c.ctx)
      FROM claimed c JOIN base.template t ON t.event_type = c.event_type
      RETURNING event_id, template_id)
    UPDATE base.event e SET status = 'pending_delivery', template_id = i.template_id,
           processed_at = now(), last_modified_at = now()
    FROM inserted i WHERE e.id = i.event_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    COMMIT;
    EXIT WHEN n = 0;
  END LOOP;
END $$;

CREATE PROCEDURE base.process_queue_style(batch int DEFAULT 1000) LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  LOOP
    WITH taken AS (
      DELETE FROM base.queue q WHERE q.event_id IN (
        SELECT event_id FROM base.queue ORDER BY event_id LIMIT batch FOR UPDATE SKIP LOCKED)
      RETURNING q.event_id)
    INSERT INTO base.message (event_id, template_id, address, subject, body_html, body_text)
    SELECT e.id, t.id, e.email, base.render(t.subject, e.ctx), base.render(t.body_html, e.ctx),
           base.render(t.body_text, e.ctx)
    FROM taken k JOIN base.event e ON e.id = k.event_id JOIN base.template t ON t.event_type = e.event_type;
    GET DIAGNOSTICS n = ROW_COUNT;
    COMMIT;
    EXIT WHEN n = 0;
  END LOOP;
END $$;
