-- Validates a row as mc.push_event does; raises the refusal (SQLSTATE, field) itself so that
-- INSERT and COPY report the same errors. Used by the tables' CHECK constraints.
CREATE OR REPLACE FUNCTION mc.event_is_valid(
    event_type text, email text, mobile_phone text, external_id text, origin text,
    idempotency_key text, language text, country text, ctx jsonb,
    scheduled_at timestamptz, expires_at timestamptz)
  RETURNS boolean LANGUAGE c STABLE PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'mc_event_is_valid';
