-- message_center install script, stitched by the Makefile from the files that sql/install.list
-- names, in that order: one current file per object (sql/README.md).
\echo Use "CREATE EXTENSION message_center" to load this file. \quit

-- Every object below is schema-qualified; the path is pinned anyway so that nothing a
-- user put in front of it can capture a name while the script runs.
SELECT pg_catalog.set_config('search_path', 'mc, pg_catalog', true);
