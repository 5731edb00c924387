-- Applies a publication dropped into mc.publication_inbox by a control instance.
CREATE OR REPLACE FUNCTION mc._apply_publication() RETURNS trigger
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
                                  body_html, body_text, push_data, webhook_url, unsubscribe_url)
    VALUES (NEW.name, NEW.event_type, NEW.channel, NEW.language, NEW.sender, NEW.subject,
            NEW.body_html, NEW.body_text, NEW.push_data, NEW.webhook_url, NEW.unsubscribe_url)
    ON CONFLICT (name) DO UPDATE SET event_type = excluded.event_type, channel = excluded.channel,
      language = excluded.language, sender = excluded.sender, subject = excluded.subject,
      body_html = excluded.body_html, body_text = excluded.body_text,
      push_data = excluded.push_data, webhook_url = excluded.webhook_url,
      unsubscribe_url = excluded.unsubscribe_url, updated_at = now();
    PERFORM mc._publish_local(NEW.name, NEW.published_at);
    UPDATE mc.published_template p SET paused = NEW.paused FROM mc.template t
    WHERE t.name = NEW.name AND p.template_id = t.id AND p.paused IS DISTINCT FROM NEW.paused;
  WHEN 'unpublish' THEN
    DELETE FROM mc.published_template p
    WHERE p.template_id = (SELECT t.id FROM mc.template t WHERE t.name = NEW.name);
  END CASE;
  RETURN NULL;
END $$;
