-- One row per processed event: the rendered message, its address and its delivery outcome.
CREATE TABLE mc.delivery_log (
  event_id bigint PRIMARY KEY,
  status mc.delivery_status NOT NULL DEFAULT 'pending',
  channel mc.channel NOT NULL,
  -- No foreign key: its per-row check (a locking lookup per message) would cost more than
  -- the insert itself; processing writes only ids it has just read from mc.delivery.
  delivery_id bigint NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_modified_at timestamptz NOT NULL DEFAULT now(),
  lease_until timestamptz,
  queue text NOT NULL CHECK (queue IN ('rt', 'batch')),
  address text NOT NULL,
  sender text,
  subject text,
  body_html text,
  body_text text,
  push_data text,
  webhook_url text,
  failure_reason text,
  -- The current lease (mc.claim_messages): only its holder reports the outcome.
  lease_token uuid,
  -- The Message-ID of the last email sent for it (sender workers), matched by mc.report_bounce.
  message_id text,
  -- Rendered List-Unsubscribe URL (email templates with unsubscribe_url).
  unsubscribe_url text
) WITH (fillfactor = 50);
-- fillfactor 50: room on the page for the sender's claim, whose new row version (lease only:
-- no indexed column changes) then stays HOT, with no index insertion. At 85 only one claim in
-- eight found room: bench/README.md, "Sender", +6-8 % email throughput.
CREATE INDEX delivery_log_last_modified ON mc.delivery_log (last_modified_at);
-- Pending messages per channel and queue in event order: the sender workers' claim (rt, then
-- batch) and mc.claim_messages (both queues merged). The only index of pending messages:
-- every message is inserted into it and updated out of it.
CREATE INDEX delivery_log_pending_queue ON mc.delivery_log (channel, queue, event_id) WHERE status = 'pending';
-- No index on message_id: the sender's Message-IDs start with the event id
-- (<event_id.random@domain>), so mc.report_bounce finds a bounced message by primary key and
-- then compares the whole Message-ID. An index on it cost an insertion per message sent (the
-- outcome's update is never HOT), 15 % of the sender's record step.
-- New messages wake the sender workers when the transaction commits.
CREATE TRIGGER delivery_log_wake_senders AFTER INSERT ON mc.delivery_log
  FOR EACH STATEMENT EXECUTE FUNCTION mc._sender_wake_trigger();
COMMENT ON TABLE mc.delivery_log IS 'Rendered messages and their delivery outcome, one per event';
-- User data: pg_dump keeps it (an extension's tables are otherwise dumped as definitions only).
SELECT pg_catalog.pg_extension_config_dump('mc.delivery_log', '');
