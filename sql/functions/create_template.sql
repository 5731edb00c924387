-- Creates a template; its parts are compiled now and refused with line and column if they do
-- not parse. Parts per channel: email sender/subject/body_html/body_text; sms body_text; push
-- subject (title), body_text (body), push_data; webhook webhook_url, body_text (body).
-- Email may set unsubscribe_url (List-Unsubscribe, RFC 8058), where {{unsubscribe_token}} is the
-- message's one-click token (e.g. 'https://gw.example/u/{{unsubscribe_token}}').
CREATE OR REPLACE FUNCTION mc.create_template(
    name text, event_type text, channel text DEFAULT 'email',
    subject text DEFAULT NULL, body_html text DEFAULT NULL, body_text text DEFAULT NULL,
    language text DEFAULT NULL, sender text DEFAULT NULL,
    push_data text DEFAULT NULL, webhook_url text DEFAULT NULL,
    unsubscribe_url text DEFAULT NULL)
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
                           sender, push_data, webhook_url, unsubscribe_url)
  VALUES ($1, $2, $3::mc.channel, $4, $5, $6, $7, $8, $9, $10, $11)
  RETURNING id INTO new_id;
  RETURN new_id;
END $$;
REVOKE ALL ON FUNCTION mc.create_template(text, text, text, text, text, text, text, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mc.create_template(text, text, text, text, text, text, text, text, text, text, text) TO mc_template_manager;
