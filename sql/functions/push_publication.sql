-- Sends one template's current state to one instance: the partials first (templates include
-- them), then the published copy with its paused flag, or "unpublish".
CREATE OR REPLACE FUNCTION mc._push_publication(instance_name text, template_name text) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  i mc.execution_instance := mc._execution_instance(instance_name);
  has_unsubscribe boolean;
BEGIN
  EXECUTE format($q$INSERT INTO %I.publication_inbox (action, name, partial_body)
                    SELECT 'partial', p.name, p.body FROM mc.partial p$q$, i.foreign_schema);
  -- (The inbox keeps no row, so the remote row count says nothing: decide here.)
  IF EXISTS (SELECT FROM mc.template t JOIN mc.published_template p ON p.template_id = t.id
             WHERE t.name = template_name) THEN
    -- unsubscribe_url (0.5.0) travels only when set: a template without one still publishes to
    -- an instance that runs 0.4.0.
    has_unsubscribe := EXISTS (SELECT FROM mc.template t JOIN mc.published_template p ON p.template_id = t.id
                               WHERE t.name = template_name AND p.unsubscribe_url IS NOT NULL);
    EXECUTE format($q$INSERT INTO %I.publication_inbox (action, name, event_type, channel, language,
                        sender, subject, body_html, body_text, push_data, webhook_url, paused, published_at%s)
                      SELECT 'publish', t.name, p.event_type, p.channel, p.language, p.sender,
                             p.subject, p.body_html, p.body_text, p.push_data, p.webhook_url,
                             p.paused, p.published_at%s
                      FROM mc.template t JOIN mc.published_template p ON p.template_id = t.id
                      WHERE t.name = $1 AND p.queue = 'rt'$q$, i.foreign_schema,
                   CASE WHEN has_unsubscribe THEN ', unsubscribe_url' ELSE '' END,
                   CASE WHEN has_unsubscribe THEN ', p.unsubscribe_url' ELSE '' END)
      USING template_name;
  ELSE
    EXECUTE format($q$INSERT INTO %I.publication_inbox (action, name) VALUES ('unpublish', $1)$q$,
                   i.foreign_schema)
      USING template_name;
  END IF;
END $$;
REVOKE ALL ON FUNCTION mc._push_publication(text, text) FROM PUBLIC;
