-- The naive baseline of the short workload: the plain SQL queue an application would write for
-- SMS/push messages, made as fast as plain SQL honestly gets (one statement per batch of 1,000,
-- one transaction per batch, claim through a partial index on id, replace() rendering inlined,
-- no per-row function calls), in the two usual styles, over the tables of baseline.sql
-- (base.event has mc.batch_event's columns at fillfactor 85, base.queue, base.message):
--   update style: claim pending events (FOR UPDATE SKIP LOCKED), join templates, render with
--                 replace(), insert message rows, update the events' status;
--   queue style:  a narrow queue table consumed with DELETE ... RETURNING (SKIP LOCKED),
--                 messages inserted, no event row updated.
\set ON_ERROR_STOP on
CREATE TABLE base.short_template (id int PRIMARY KEY GENERATED ALWAYS AS IDENTITY, event_type text UNIQUE,
  channel text, body_text text);
INSERT INTO base.short_template (event_type, channel, body_text)
  SELECT event_type, channel, body_text FROM bench.short_template;
ANALYZE base.short_template;

-- Three interpolations by replace() (an inlined SQL function).
CREATE FUNCTION base.render_short(src text, ctx jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT replace(replace(replace(src, '{{ctx.firstName}}', ctx->>'firstName'),
                         '{{ctx.orderId}}', ctx->>'orderId'),
                 '{{ctx.state}}', ctx->>'state')
$$;

CREATE PROCEDURE base.process_short_update_style(batch int DEFAULT 1000) LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  LOOP
    WITH claimed AS MATERIALIZED (
      SELECT e.id, e.event_type, e.wished_channel, e.mobile_phone, e.external_id, e.ctx FROM base.event e
      WHERE e.processed_at IS NULL ORDER BY e.id LIMIT batch FOR UPDATE SKIP LOCKED),
    inserted AS (
      INSERT INTO base.message (event_id, template_id, address, body_text)
      SELECT c.id, t.id, CASE WHEN t.channel = 'sms' THEN c.mobile_phone ELSE c.external_id END,
             base.render_short(t.body_text, c.ctx)
      FROM claimed c JOIN base.short_template t ON t.event_type = c.event_type
      RETURNING event_id, template_id)
    UPDATE base.event e SET status = 'pending_delivery', template_id = i.template_id,
           processed_at = now(), last_modified_at = now()
    FROM inserted i WHERE e.id = i.event_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    COMMIT;
    EXIT WHEN n = 0;
  END LOOP;
END $$;

CREATE PROCEDURE base.process_short_queue_style(batch int DEFAULT 1000) LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  LOOP
    WITH taken AS (
      DELETE FROM base.queue q WHERE q.event_id IN (
        SELECT event_id FROM base.queue ORDER BY event_id LIMIT batch FOR UPDATE SKIP LOCKED)
      RETURNING q.event_id)
    INSERT INTO base.message (event_id, template_id, address, body_text)
    SELECT e.id, t.id, CASE WHEN t.channel = 'sms' THEN e.mobile_phone ELSE e.external_id END,
           base.render_short(t.body_text, e.ctx)
    FROM taken k JOIN base.event e ON e.id = k.event_id
    JOIN base.short_template t ON t.event_type = e.event_type;
    GET DIAGNOSTICS n = ROW_COUNT;
    COMMIT;
    EXIT WHEN n = 0;
  END LOOP;
END $$;

-- The floor (shared/design/performance-floor.md, "both together"): the two writes every
-- processed event costs, and nothing else: per batch of 1,000 events by id range, one INSERT of
-- their message rows (a fixed, already rendered text: no template, no join) and one UPDATE of
-- their status; no claim, no locking, no rendering. Not a processor: what no processor that
-- writes a message row and updates its event can beat.
CREATE PROCEDURE base.floor_both_writes(batch int DEFAULT 1000) LANGUAGE plpgsql AS $$
DECLARE
  lo bigint;
  top bigint;
BEGIN
  SELECT min(id), max(id) INTO lo, top FROM base.event;
  WHILE lo <= top LOOP
    INSERT INTO base.message (event_id, template_id, address, body_text)
      SELECT e.id, 1, e.mobile_phone, 'Hi Ada, your order 123456 is shipped (7).'
      FROM base.event e WHERE e.id >= lo AND e.id < lo + batch;
    UPDATE base.event e SET status = 'pending_delivery', template_id = 1, processed_at = now(),
           last_modified_at = now()
    WHERE e.id >= lo AND e.id < lo + batch;
    COMMIT;
    lo := lo + batch;
  END LOOP;
END $$;
