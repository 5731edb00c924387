-- The delivery API: whatever sends messages claims pending ones under a lease and reports
-- each outcome. A crashed sender's lease expires and its messages are claimed again.

CREATE FUNCTION mc.claim_messages(channel text, max_messages integer,
                                  lease interval DEFAULT '5 minutes')
  RETURNS TABLE (event_id bigint, address text, sender text, subject text, body_html text,
                 body_text text, push_data text, webhook_url text, attempts integer)
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF $1 IS NULL OR $1 NOT IN ('email', 'sms', 'push_ios', 'push_android', 'webhook') THEN
    RAISE EXCEPTION 'channel must be one of email, sms, push_ios, push_android, webhook, not "%"', $1
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF $2 IS NULL OR $2 < 1 OR $2 > 100000 THEN
    RAISE EXCEPTION 'max_messages must be between 1 and 100000, got %', $2
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF $3 IS NULL OR $3 <= interval '0' THEN
    RAISE EXCEPTION 'lease must be a positive interval, got %', $3
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- SKIP LOCKED: concurrent senders never wait on, nor get, each other's messages.
  RETURN QUERY
  WITH claimable AS (
    SELECT d.event_id FROM mc.delivery_log d
    WHERE d.status = 'pending' AND d.channel = $1::mc.channel
      AND (d.lease_until IS NULL OR d.lease_until < clock_timestamp())
    ORDER BY d.event_id LIMIT $2
    FOR UPDATE SKIP LOCKED)
  UPDATE mc.delivery_log d
  SET lease_until = clock_timestamp() + $3, attempts = d.attempts + 1
  FROM claimable c WHERE d.event_id = c.event_id
  RETURNING d.event_id, d.address, d.sender, d.subject, d.body_html, d.body_text, d.push_data,
            d.webhook_url, d.attempts;
END $$;
COMMENT ON FUNCTION mc.claim_messages(text, integer, interval) IS 'Claims pending messages of a channel under a lease';

-- Reports a message's outcome: 'sent', 'ignored' or 'failed' (with a reason such as
-- user_unknown, invalid_domain, mailbox_full, denylisted, rejected). A later report replaces an
-- earlier one (a bounce after 'sent'); updateEventsStatus copies it onto the event.
CREATE FUNCTION mc.report_delivery(event_id bigint, status text, failure_reason text DEFAULT NULL)
  RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF $2 IS NULL OR $2 NOT IN ('sent', 'ignored', 'failed') THEN
    RAISE EXCEPTION 'status must be sent, ignored or failed, not "%"', $2
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF $2 = 'failed' AND $3 IS NULL THEN
    RAISE EXCEPTION 'failure_reason is required when status is failed'
      USING ERRCODE = 'not_null_violation';
  END IF;
  UPDATE mc.delivery_log d
  SET status = $2::mc.delivery_status, failure_reason = $3, lease_until = NULL,
      last_modified_at = clock_timestamp()
  WHERE d.event_id = $1;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no message for event %', $1 USING ERRCODE = 'no_data_found';
  END IF;
END $$;
COMMENT ON FUNCTION mc.report_delivery(bigint, text, text) IS 'Reports the delivery outcome of one message';

REVOKE ALL ON FUNCTION mc.claim_messages(text, integer, interval),
  mc.report_delivery(bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mc.claim_messages(text, integer, interval),
  mc.report_delivery(bigint, text, text) TO mc_delivery_agent;
