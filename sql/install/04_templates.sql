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
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE mc.template IS 'Message templates as written by their authors';

-- Published copies (<name>_rt and <name>_batch), in production state: what routing reads.
CREATE TABLE mc.published_template (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  template_id bigint NOT NULL REFERENCES mc.template (id) ON DELETE CASCADE,
  name text NOT NULL UNIQUE,
  queue text NOT NULL CHECK (queue IN ('rt', 'batch')),
  event_type text NOT NULL,
  channel mc.channel NOT NULL,
  language text,
  sender text,
  subject text,
  body_html text,
  body_text text,
  push_data text,
  webhook_url text,
  paused boolean NOT NULL DEFAULT false,
  published_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (template_id, queue)
);
CREATE INDEX published_template_route
  ON mc.published_template (queue, event_type, channel, language, published_at DESC);
COMMENT ON TABLE mc.published_template IS 'Published template copies per queue, read by routing';

-- Shared blocks that template parts include with {{> name}} (headers, footers, layouts).
CREATE TABLE mc.partial (
  name text PRIMARY KEY CHECK (name ~ '^[A-Za-z][A-Za-z0-9_.-]{0,62}$'),
  body text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE mc.partial IS 'Mustache partials shared by templates ({{> name}})';

-- Test ("seed") addresses with a sample ctx to preview a template before publishing.
CREATE TABLE mc.seed_address (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  template_id bigint NOT NULL REFERENCES mc.template (id) ON DELETE CASCADE,
  email text,
  mobile_phone text,
  ctx jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(ctx) = 'object')
);
