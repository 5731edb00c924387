-- Publication to execution instances (spec sections 5 and 6): see tables/publication_inbox.sql.
-- Publishes locally: <name>_rt and <name>_batch from mc.template, dated published_at.
CREATE OR REPLACE FUNCTION mc._publish_local(publish_name text, published_at timestamptz) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  tid bigint := mc._template_id(publish_name);
BEGIN
  INSERT INTO mc.published_template AS p (template_id, name, queue, event_type, channel, language,
    sender, subject, body_html, body_text, push_data, webhook_url, unsubscribe_url, published_at)
  SELECT t.id, t.name || '_' || q.queue, q.queue, t.event_type, t.channel, t.language, t.sender,
         t.subject, t.body_html, t.body_text, t.push_data, t.webhook_url, t.unsubscribe_url, $2
  FROM mc.template t CROSS JOIN (VALUES ('rt'), ('batch')) AS q (queue)
  WHERE t.id = tid
  ON CONFLICT ON CONSTRAINT published_template_name_key DO UPDATE SET
    event_type = excluded.event_type, channel = excluded.channel, language = excluded.language,
    sender = excluded.sender, subject = excluded.subject, body_html = excluded.body_html,
    body_text = excluded.body_text, push_data = excluded.push_data,
    webhook_url = excluded.webhook_url, unsubscribe_url = excluded.unsubscribe_url,
    published_at = excluded.published_at;
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
