-- The options of a connection string, parsed by libpq; user_mapping marks the credentials.
CREATE OR REPLACE FUNCTION mc._conninfo_options(conninfo text)
  RETURNS TABLE (keyword text, value text, user_mapping boolean)
  LANGUAGE c STRICT AS 'MODULE_PATHNAME', 'mc_conninfo_options';
REVOKE ALL ON FUNCTION mc._conninfo_options(text) FROM PUBLIC;
