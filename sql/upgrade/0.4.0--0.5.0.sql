-- message_center 0.4.0 -> 0.5.0. Hand-written DDL deltas, and "\ir <path>" lines that pull in
-- the current file of each changed function or view (sql/README.md says how).
-- test/e2e/upgrade.sh checks that the result equals a fresh install of 0.5.0.

-- ==== BEGIN proc (issue 13): work queues of consecutive ids ==================================
-- The queue index: work queues are blocks of 128 consecutive ids ((id >> 7) & 7, was id & 7),
-- so that a batch reads neighbouring rows (src/core/work_queues.hpp). The claim statement of
-- 0.5.0 names the new expression; pending events are simply indexed again.
DROP INDEX mc.rt_event_queue;
CREATE INDEX rt_event_queue ON mc.rt_event
  (((id >> 7) & 7), (coalesce(process_requested_at, scheduled_at, created_at)), id)
  WHERE processed_at IS NULL;
DROP INDEX mc.batch_event_expr_coalesce_id_idx;
CREATE INDEX batch_event_expr_coalesce_id_idx ON mc.batch_event
  (((id >> 7) & 7), (coalesce(process_requested_at, scheduled_at, created_at)), id)
  WHERE processed_at IS NULL;
-- ==== END proc: work queues ==================================================================

-- mc-gateway: the token lookup probes pg_authid by index; tokens changed or revoked notify
-- the gateways (they remember looked-up tokens), trigger api_token_changed.
\ir functions/api_tokens.sql
-- ==== BEGIN sendfast (issue 12): List-Unsubscribe from templates =============================
-- Templates may set unsubscribe_url (Mustache, email only), copied when published (locally
-- and to execution instances), rendered per message into mc.delivery_log.unsubscribe_url
-- (with {{unsubscribe_token}}), sent as List-Unsubscribe + List-Unsubscribe-Post.
ALTER TABLE mc.template ADD COLUMN unsubscribe_url text;
ALTER TABLE mc.published_template ADD COLUMN unsubscribe_url text;
ALTER TABLE mc.publication_inbox ADD COLUMN unsubscribe_url text;
ALTER TABLE mc.delivery_log ADD COLUMN unsubscribe_url text;
-- The control instance's foreign tables of registered instances (imported at registration).
DO $$
DECLARE
  s name;
BEGIN
  FOR s IN SELECT i.foreign_schema FROM mc.execution_instance i LOOP
    IF to_regclass(format('%I.publication_inbox', s)) IS NOT NULL THEN
      EXECUTE format('ALTER FOREIGN TABLE %I.publication_inbox ADD COLUMN IF NOT EXISTS unsubscribe_url text', s);
    END IF;
  END LOOP;
END $$;
DROP FUNCTION mc.create_template(text, text, text, text, text, text, text, text, text, text);
\ir functions/create_template.sql
\ir functions/template_before_write.sql
\ir functions/publish_local.sql
\ir functions/push_publication.sql
\ir functions/apply_publication.sql
-- _sender_claim returns rows (was: a JSON array), see the throughput block.
DROP FUNCTION mc._sender_claim(integer, uuid, text[], integer[]);
\ir functions/sender_workers.sql
-- ==== END sendfast: List-Unsubscribe ==========================================================

-- ==== BEGIN sendfast (issue 12): soft-failure quarantine ======================================
-- Repeated soft failures (mailbox full) quarantine the address: counted in mc.soft_failure by
-- mc._soft_failures (sender outcomes and mc.report_bounce), rule in mc.settings.
ALTER TABLE mc.settings
  ADD COLUMN soft_quarantine_failures integer NOT NULL DEFAULT 3 CHECK (soft_quarantine_failures BETWEEN 1 AND 1000),
  ADD COLUMN soft_quarantine_span interval NOT NULL DEFAULT '1 day' CHECK (soft_quarantine_span >= '0');
\ir tables/soft_failure.sql
\ir functions/soft_failures.sql
\ir functions/sender_workers.sql
\ir functions/report_bounce.sql
-- ==== END sendfast: soft-failure quarantine ===================================================

-- ==== BEGIN sendfast (issue 12): sender throughput ===========================================
-- The workers' claim walks pending messages per channel and queue in event order.
CREATE INDEX delivery_log_pending_queue ON mc.delivery_log (channel, queue, event_id) WHERE status = 'pending';
\ir functions/sender_workers.sql
-- ==== END sendfast: sender throughput =========================================================
-- mc.push_events_json: the text intake path (issue 13).
\ir functions/push_events_json.sql

-- ==== BEGIN sdb (issue 12/13): one index of pending messages ===================================
-- delivery_log_pending (channel, event_id) duplicated delivery_log_pending_queue for every
-- reader (mc.claim_messages now merges the two queues' passes over the latter); one index
-- insertion less per message processed and per message claimed or recorded.
DROP INDEX mc.delivery_log_pending;
-- Room for the claim's HOT update (tables/delivery_log.sql); pages already full keep theirs.
ALTER TABLE mc.delivery_log SET (fillfactor = 50);
\ir functions/claim_messages.sql
\ir functions/sender_workers.sql
-- ==== END sdb =================================================================================

-- ==== BEGIN s4 (issue 12): fewer reads and writes per message sent ============================
-- Bounces find their message by the event id its Message-ID starts with (primary key), so the
-- index on message_id, one insertion per message sent, goes. The claim reads the event only for
-- providers that use its fields; deferrals past the validity end fail in mc._sender_record.
DROP INDEX mc.delivery_log_message_id;
\ir functions/report_bounce.sql
\ir functions/sender_workers.sql
-- ==== END s4 ==================================================================================

-- ==== BEGIN s5 (issue 12): the sender's outcomes as arrays ====================================
-- mc._sender_record takes one array per field instead of a JSON document (the blocks above
-- already created the new signature from the current source; the old one goes).
DROP FUNCTION mc._sender_record(uuid, jsonb);
-- ==== END s5 ==================================================================================
