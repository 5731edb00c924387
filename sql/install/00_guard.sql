-- message_center install script, stitched from sql/install/*.sql by the Makefile.
\echo Use "CREATE EXTENSION message_center" to load this file. \quit

-- Every object below is schema-qualified; the path is pinned anyway so that nothing a
-- user put in front of it can capture a name while the script runs.
SELECT pg_catalog.set_config('search_path', 'mc, pg_catalog', true);

CREATE SCHEMA mc;
COMMENT ON SCHEMA mc IS 'message_center: transactional messaging';
