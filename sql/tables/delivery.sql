-- A delivery groups the messages of one published template for one month.
CREATE TABLE mc.delivery (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  published_template_id bigint REFERENCES mc.published_template (id) ON DELETE SET NULL,
  template_name text NOT NULL,
  month date NOT NULL CHECK (month = date_trunc('month', month)),
  channel mc.channel NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (template_name, month)
);
COMMENT ON TABLE mc.delivery IS 'Monthly delivery of one published template';
-- User data: pg_dump keeps it (an extension's tables are otherwise dumped as definitions only).
SELECT pg_catalog.pg_extension_config_dump('mc.delivery', '');
SELECT pg_catalog.pg_extension_config_dump('mc.delivery_id_seq', '');  -- its identity column
