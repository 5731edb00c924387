-- Shared blocks that template parts include with {{> name}} (headers, footers, layouts).
CREATE TABLE mc.partial (
  name text PRIMARY KEY CHECK (name ~ '^[A-Za-z][A-Za-z0-9_.-]{0,62}$'),
  body text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE mc.partial IS 'Mustache partials shared by templates ({{> name}})';
GRANT SELECT, INSERT, UPDATE, DELETE ON mc.partial TO mc_template_manager;
CREATE TRIGGER partial_before_write BEFORE INSERT OR UPDATE ON mc.partial
  FOR EACH ROW EXECUTE FUNCTION mc._template_before_write();
CREATE TRIGGER partial_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON mc.partial FOR EACH STATEMENT EXECUTE FUNCTION mc._invalidate_cache();
-- User data: pg_dump keeps it (an extension's tables are otherwise dumped as definitions only).
SELECT pg_catalog.pg_extension_config_dump('mc.partial', '');
