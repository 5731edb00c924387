-- Privilege escalation by search-path capture (issue 11): a role with CREATE on the database
-- makes a schema named after the superuser that runs the workflows ("$user" puts it on that
-- superuser's path) and puts an operator or a function there that the workflows' SQL would
-- resolve to. 0.3.0 called such an operator & (bigint, integer) from mc.rt_events_processing.
-- The functions pg_cron runs pin their path, their SQL is qualified, and the enrichment function
-- is called by its OID: nothing planted is ever called.
BEGIN;
SELECT plan(5);

CREATE TABLE public.planted_calls (what text);
GRANT INSERT ON public.planted_calls TO PUBLIC;
CREATE SCHEMA IF NOT EXISTS postgres;
CREATE FUNCTION postgres.planted_and(bigint, integer) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.planted_calls VALUES ('operator &');
  RETURN $1 OPERATOR(pg_catalog.&) $2::bigint;
END $$;
CREATE OPERATOR postgres.& (LEFTARG = bigint, RIGHTARG = integer, FUNCTION = postgres.planted_and);
CREATE FUNCTION postgres.planted_eq(mc.event_status, text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.planted_calls VALUES ('operator =');
  RETURN $1::text OPERATOR(pg_catalog.=) $2;
END $$;
CREATE OPERATOR postgres.= (LEFTARG = mc.event_status, RIGHTARG = text, FUNCTION = postgres.planted_eq);
-- The enrichment function, and one of the same name planted in front of it.
CREATE FUNCTION public.enrich(ids bigint[]) RETURNS TABLE (event_id bigint, data jsonb)
  LANGUAGE sql AS $$ SELECT i, '{"vip": true}'::jsonb FROM unnest(ids) i $$;
CREATE FUNCTION postgres.enrich(ids bigint[]) RETURNS TABLE (event_id bigint, data jsonb)
  LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.planted_calls VALUES ('enrichment');
  RETURN QUERY SELECT i, '{"vip": false}'::jsonb FROM unnest(ids) i;
END $$;
UPDATE mc.settings SET enrichment_function = 'public.enrich';

SET LOCAL search_path = "$user", public;
SELECT is(current_schemas(false)::text[], ARRAY['postgres', 'public'], 'the superuser''s path starts with the planted schema');

SELECT mc.create_template('vip', 'vip', 'email', subject => 'VIP {{enrichment.vip}}', body_text => 'x');
SELECT mc.publish_template('vip');
SELECT mc.push_events((SELECT jsonb_agg(jsonb_build_object('type', 'vip', 'email', format('v%s@example.com', g), 'ctx', jsonb_build_object()))
                       FROM generate_series(1, 20) g), 'rt');
SELECT mc.push_event('{"type":"vip","email":"b@example.com","ctx":{}}', 'batch');
SELECT is(mc.rt_events_processing() + mc.batch_events_processing(), 21::bigint, 'rt and batch processing ran');
SELECT mc.report_delivery(c.event_id, 'sent', lease => c.lease_token) FROM mc.claim_messages('email', 100, '1 minute') c;
SELECT is(mc.update_events_status(), 21::bigint, 'the status copy ran');
SELECT is((SELECT count(*)::int FROM mc.delivery_log WHERE subject = 'VIP true'), 21, 'the configured enrichment function was called');
RESET search_path;
SELECT is((SELECT string_agg(DISTINCT what, ', ') FROM public.planted_calls), NULL, 'nothing planted was called');

SELECT * FROM finish();
ROLLBACK;
