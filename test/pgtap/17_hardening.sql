-- Hardening of 0.4.0: settings that cannot be abused or broken, ids that cannot be reused, a
-- horizon for any login, restores that merge the seed rows.
BEGIN;
SELECT plan(12);

-- set_instance_id with the id it already has changes nothing (it used to restart the sequence).
SELECT mc.set_instance_id(5);
SELECT mc.push_event('{"type":"t","ctx":{}}');
SELECT lives_ok($$SELECT mc.set_instance_id(5)$$, 'set_instance_id with the current id');
SELECT lives_ok($$SELECT mc.push_event('{"type":"t","ctx":{}}')$$, 'the next push does not collide');
SELECT is((SELECT count(DISTINCT id)::int FROM mc.rt_event WHERE (id >> 56) = 5), 2, 'two events of instance 5');
SELECT throws_ok($$SELECT mc.set_instance_id(6)$$, '55006', NULL, 'another id with events of this one is still refused');

-- The enrichment function must be one only a superuser (or the extension owner) can change.
CREATE ROLE mc_test_low;
CREATE FUNCTION public.enrich_ok(ids bigint[]) RETURNS TABLE (event_id bigint, data jsonb)
  LANGUAGE sql AS $$ SELECT i, '{}'::jsonb FROM unnest(ids) i $$;
CREATE FUNCTION public.enrich_low(ids bigint[]) RETURNS TABLE (event_id bigint, data jsonb)
  LANGUAGE sql AS $$ SELECT i, '{}'::jsonb FROM unnest(ids) i $$;
ALTER FUNCTION public.enrich_low(bigint[]) OWNER TO mc_test_low;
CREATE FUNCTION public.enrich_bad(ids integer) RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;
SELECT throws_ok($$UPDATE mc.settings SET enrichment_function = 'public.enrich_low'$$, '42501', NULL,
  'an enrichment function another role can change is refused');
SELECT throws_ok($$UPDATE mc.settings SET enrichment_function = 'public.enrich_bad'$$, '22023', NULL,
  'an enrichment function of the wrong shape is refused');
SELECT lives_ok($$UPDATE mc.settings SET enrichment_function = 'public.enrich_ok'$$, 'a superuser''s enrichment function is taken');
UPDATE mc.settings SET enrichment_function = NULL;

-- A restored settings row (pg_restore inserts it after CREATE EXTENSION inserted the default)
-- replaces the seed row; so does the status copy's state.
SELECT lives_ok($$INSERT INTO mc.settings (singleton, max_ctx_bytes, instance_id) VALUES (true, 12345, 5)$$,
  'inserting the settings row again (a restore) does not collide');
SELECT results_eq($$SELECT count(*)::int, max(max_ctx_bytes) FROM mc.settings$$, $$VALUES (1, 12345)$$,
  'one settings row, the restored one');
SELECT lives_ok($$INSERT INTO mc.workflow_state (workflow, watermark) VALUES ('updateEventsStatus', '2026-01-01')$$,
  'inserting the status copy''s state again (a restore) does not collide');
SELECT is((SELECT watermark FROM mc.workflow_state WHERE workflow = 'updateEventsStatus'), '2026-01-01'::timestamptz,
  'the restored watermark');

-- The horizon is read by a SECURITY DEFINER function, never "now" because the login cannot see
-- other roles' transactions (isolation spec archive_horizon shows it with two sessions).
SELECT ok((SELECT prosecdef FROM pg_proc WHERE oid = 'mc._local_archive_horizon()'::regprocedure),
  'the horizon is computed with the extension owner''s view of pg_stat_activity');

SELECT * FROM finish();
ROLLBACK;
