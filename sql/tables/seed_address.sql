-- Test ("seed") addresses with a sample ctx to preview a template before publishing.
CREATE TABLE mc.seed_address (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  template_id bigint NOT NULL REFERENCES mc.template (id) ON DELETE CASCADE,
  email text,
  mobile_phone text,
  ctx jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(ctx) = 'object')
);
GRANT SELECT, INSERT, UPDATE, DELETE ON mc.seed_address TO mc_template_manager;
-- User data: pg_dump keeps it (an extension's tables are otherwise dumped as definitions only).
SELECT pg_catalog.pg_extension_config_dump('mc.seed_address', '');
SELECT pg_catalog.pg_extension_config_dump('mc.seed_address_id_seq', '');  -- its identity column
