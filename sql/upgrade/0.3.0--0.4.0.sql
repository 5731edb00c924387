-- message_center 0.3.0 -> 0.4.0: hardening (every role works as the README says, backups keep
-- the data, nothing can be escalated or squatted, leases that mean something).
-- Written by hand: DDL deltas, and "\ir" lines that pull in the current file of each changed
-- function or view (sql/stitch.sh). test/e2e/upgrade.sh checks that the result equals a fresh
-- install of 0.4.0.
\echo Use "ALTER EXTENSION message_center UPDATE TO '0.4.0'" to load this file. \quit
SELECT pg_catalog.set_config('search_path', 'mc, pg_catalog', true);

-- Roles: the delivery agent reaches its functions and the quarantine, template managers the
-- partials; writers insert the event's own fields only.
GRANT USAGE ON SCHEMA mc TO mc_delivery_agent;
GRANT SELECT, INSERT, UPDATE, DELETE ON mc.quarantine TO mc_delivery_agent;
GRANT SELECT, INSERT, UPDATE, DELETE ON mc.partial TO mc_template_manager;
REVOKE INSERT ON mc.rt_event, mc.batch_event FROM mc_event_writer;
GRANT INSERT (event_type, email, mobile_phone, external_id, origin, idempotency_key, wished_channel,
              language, country, ctx, scheduled_at, expires_at)
  ON mc.rt_event, mc.batch_event TO mc_event_writer;

-- Settings: delivery-API bounds; the seed row merges with a restored one; the enrichment
-- function is checked when set.
ALTER TABLE mc.settings
  ADD COLUMN max_delivery_attempts integer NOT NULL DEFAULT 10 CHECK (max_delivery_attempts BETWEEN 1 AND 1000),
  ADD COLUMN max_lease interval NOT NULL DEFAULT '1 hour' CHECK (max_lease > '0');
\ir functions/merge_seed_row.sql
\ir functions/check_enrichment_function.sql
CREATE TRIGGER settings_restore BEFORE INSERT ON mc.settings
  FOR EACH ROW EXECUTE FUNCTION mc._merge_seed_row();
CREATE TRIGGER settings_enrichment_function BEFORE INSERT OR UPDATE OF enrichment_function ON mc.settings
  FOR EACH ROW EXECUTE FUNCTION mc._check_enrichment_function();
SELECT pg_catalog.pg_extension_config_dump('mc.workflow_state', '');
CREATE TRIGGER workflow_state_restore BEFORE INSERT ON mc.workflow_state
  FOR EACH ROW EXECUTE FUNCTION mc._merge_seed_row();

-- Backups: every table holding user data; a restored template or partial keeps its updated_at.
\ir functions/template_before_write.sql
SELECT pg_catalog.pg_extension_config_dump('mc.rt_event', '');
SELECT pg_catalog.pg_extension_config_dump('mc.batch_event', '');
SELECT pg_catalog.pg_extension_config_dump('mc.event_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('mc.template', '');
SELECT pg_catalog.pg_extension_config_dump('mc.published_template', '');
SELECT pg_catalog.pg_extension_config_dump('mc.partial', '');
SELECT pg_catalog.pg_extension_config_dump('mc.seed_address', '');
SELECT pg_catalog.pg_extension_config_dump('mc.delivery', '');
SELECT pg_catalog.pg_extension_config_dump('mc.delivery_log', '');
SELECT pg_catalog.pg_extension_config_dump('mc.quarantine', '');
SELECT pg_catalog.pg_extension_config_dump('mc.archive_cursor', '');
SELECT pg_catalog.pg_extension_config_dump('mc.execution_instance', '');
SELECT pg_catalog.pg_extension_config_dump('mc.instance_publication', '');
SELECT pg_catalog.pg_extension_config_dump('mc.event_histo', '');
SELECT pg_catalog.pg_extension_config_dump('mc.broadlog_event_histo', '');
SELECT pg_catalog.pg_extension_config_dump('mc.archive_state', '');
-- (and where the identity columns have got to)
SELECT pg_catalog.pg_extension_config_dump('mc.template_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('mc.published_template_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('mc.seed_address_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('mc.delivery_id_seq', '');

-- The delivery API: lease tokens, bounded leases and attempts.
ALTER TABLE mc.delivery_log ADD COLUMN lease_token uuid;
DROP FUNCTION mc.claim_messages(text, integer, interval);
\ir functions/claim_messages.sql
DROP FUNCTION mc.report_delivery(bigint, text, text);
\ir functions/report_delivery.sql

-- mc-gateway: its role, API tokens, one-click unsubscribe.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'mc_gateway') THEN
    CREATE ROLE mc_gateway NOLOGIN;
  END IF;
END $$;
GRANT USAGE ON SCHEMA mc TO mc_gateway;
\ir tables/api_token.sql
\ir tables/unsubscribe_key.sql
\ir functions/api_tokens.sql
\ir functions/unsubscribe.sql

-- set_instance_id with the current id no longer restarts the sequence, and leaves the bounds
-- alone (a restored dump's value must fit them).
ALTER SEQUENCE mc.event_id_seq MINVALUE -9223372036854775808 MAXVALUE 9223372036854775807;
\ir functions/set_instance_id.sql

-- Pinned search paths (processing), qualified operators (procedures).
\ir functions/events_processing.sql
\ir functions/rt_events_loop.sql
\ir functions/batch_events_loop.sql
\ir functions/cleanup.sql
\ir functions/synchronize_instance.sql

-- A registration's server, schema and foreign tables belong to the extension's owner.
\ir functions/register_execution_instance.sql

-- The archive horizon, correct for any login.
\ir functions/local_archive_horizon.sql
\ir views/archive_horizon.sql

-- Issue 12: the extension sends the messages itself (providers, routes, sender workers).
ALTER TABLE mc.settings
  ADD COLUMN sender_workers integer NOT NULL DEFAULT 1 CHECK (sender_workers BETWEEN 0 AND 64),
  ADD COLUMN message_validity interval NOT NULL DEFAULT '2 days' CHECK (message_validity > '0');
\ir tables/provider.sql
\ir tables/channel_route.sql
\ir tables/sender_worker.sql
\ir tables/provider_stats.sql
\ir functions/sender_workers.sql
ALTER TABLE mc.delivery_log ADD COLUMN message_id text;
CREATE INDEX delivery_log_message_id ON mc.delivery_log (message_id) WHERE message_id IS NOT NULL;
CREATE TRIGGER delivery_log_wake_senders AFTER INSERT ON mc.delivery_log
  FOR EACH STATEMENT EXECUTE FUNCTION mc._sender_wake_trigger();
\ir functions/providers.sql
\ir functions/report_bounce.sql
\ir functions/workflow_jobs.sql
\ir functions/start_workflows.sql
\ir functions/stop_workflows.sql
\ir views/provider_status.sql
