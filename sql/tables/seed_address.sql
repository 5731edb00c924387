-- Test ("seed") addresses with a sample ctx to preview a template before publishing.
CREATE TABLE mc.seed_address (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  template_id bigint NOT NULL REFERENCES mc.template (id) ON DELETE CASCADE,
  email text,
  mobile_phone text,
  ctx jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(ctx) = 'object')
);
GRANT SELECT, INSERT, UPDATE, DELETE ON mc.seed_address TO mc_template_manager;
