-- Intake benchmark setup (bench/intake/run.sh): the extension and the baseline table.
-- bench.plain_event has mc.rt_event's columns, defaults (id from mc.event_id_seq, status,
-- created_at ...) and indexes, but no CHECK constraint: what a plain INSERT or COPY costs.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS message_center;
DROP SCHEMA IF EXISTS bench CASCADE;
CREATE SCHEMA bench;
-- The queue tables' fillfactor too (LIKE does not copy it): the same pages to fill.
CREATE TABLE bench.plain_event (LIKE mc.rt_event INCLUDING DEFAULTS INCLUDING INDEXES)
  WITH (fillfactor = 45);
