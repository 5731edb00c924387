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
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- Email: the List-Unsubscribe URL (RFC 8058 one-click), Mustache; {{unsubscribe_token}} is the
  -- message's token for mc-gateway's POST /u/{token} (mc.unsubscribe_token).
  unsubscribe_url text
);
COMMENT ON TABLE mc.template IS 'Message templates as written by their authors';
CREATE TRIGGER template_before_write BEFORE INSERT OR UPDATE ON mc.template
  FOR EACH ROW EXECUTE FUNCTION mc._template_before_write();
GRANT SELECT, INSERT, UPDATE, DELETE ON mc.template TO mc_template_manager;
-- User data: pg_dump keeps it (an extension's tables are otherwise dumped as definitions only).
SELECT pg_catalog.pg_extension_config_dump('mc.template', '');
SELECT pg_catalog.pg_extension_config_dump('mc.template_id_seq', '');  -- its identity column
