-- The delivery API: whatever sends messages claims pending ones under a lease and reports
-- each outcome with the lease's token. A crashed sender's lease expires and its messages are
-- claimed again, with a new token: the old holder's late report is then refused, so it can
-- never overwrite the new holder's outcome. A message claimed max_delivery_attempts times
-- (mc.settings) without a report fails instead of being claimed again. One clock throughout:
-- clock_timestamp(), for leases taken and leases compared.
CREATE OR REPLACE FUNCTION mc.claim_messages(channel text, max_messages integer,
                                  lease interval DEFAULT '5 minutes')
  RETURNS TABLE (event_id bigint, address text, sender text, subject text, body_html text,
                 body_text text, push_data text, webhook_url text, attempts integer,
                 lease_token uuid, lease_until timestamptz)
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  s mc.settings;
  now_ timestamptz := clock_timestamp();
BEGIN
  SELECT * INTO s FROM mc.settings;
  IF $1 IS NULL OR $1 NOT IN ('email', 'sms', 'push_ios', 'push_android', 'webhook') THEN
    RAISE EXCEPTION 'channel must be one of email, sms, push_ios, push_android, webhook, not "%"', $1
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF $2 IS NULL OR $2 < 1 OR $2 > 100000 THEN
    RAISE EXCEPTION 'max_messages must be between 1 and 100000, got %', $2
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF $3 IS NULL OR $3 <= interval '0' OR $3 > s.max_lease THEN
    RAISE EXCEPTION 'lease must be a positive interval of at most % (mc.settings.max_lease), got %', s.max_lease, $3
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- Messages whose last lease expired after the last allowed attempt fail (no sender ever
  -- reported on them: a message that crashes its senders must not be claimed forever).
  WITH exhausted AS (
    SELECT d.event_id FROM mc.delivery_log d
    WHERE d.status = 'pending' AND d.channel = $1::mc.channel
      AND d.attempts >= s.max_delivery_attempts AND d.lease_until < now_
    FOR UPDATE SKIP LOCKED)
  UPDATE mc.delivery_log d
  SET status = 'failed', failure_reason = format('no report after %s delivery attempts', d.attempts),
      lease_until = NULL, lease_token = NULL, last_modified_at = now_
  FROM exhausted x WHERE d.event_id = x.event_id;
  -- SKIP LOCKED: concurrent senders never wait on, nor get, each other's messages.
  RETURN QUERY
  -- Oldest first across both queues: a merge of the two queues' passes over the index
  -- delivery_log_pending_queue (channel, queue, event_id), the only index of pending messages.
  -- Each pass locks up to max_messages rows; those beyond the merged limit stay unleased (only
  -- locked until this transaction ends).
  WITH rt AS (
    SELECT d.event_id FROM mc.delivery_log d
    WHERE d.status = 'pending' AND d.channel = $1::mc.channel AND d.queue = 'rt'
      AND (d.lease_until IS NULL OR d.lease_until < now_)
      AND d.attempts < s.max_delivery_attempts
    ORDER BY d.event_id LIMIT $2
    FOR UPDATE SKIP LOCKED),
  batch AS (
    SELECT d.event_id FROM mc.delivery_log d
    WHERE d.status = 'pending' AND d.channel = $1::mc.channel AND d.queue = 'batch'
      AND (d.lease_until IS NULL OR d.lease_until < now_)
      AND d.attempts < s.max_delivery_attempts
    ORDER BY d.event_id LIMIT $2
    FOR UPDATE SKIP LOCKED),
  claimable AS (
    SELECT x.event_id FROM (SELECT rt.event_id FROM rt UNION ALL SELECT batch.event_id FROM batch) x
    ORDER BY x.event_id LIMIT $2)
  UPDATE mc.delivery_log d
  SET lease_until = now_ + $3, attempts = d.attempts + 1, lease_token = gen_random_uuid()
  FROM claimable c WHERE d.event_id = c.event_id
  RETURNING d.event_id, d.address, d.sender, d.subject, d.body_html, d.body_text, d.push_data,
            d.webhook_url, d.attempts, d.lease_token, d.lease_until;
END $$;
COMMENT ON FUNCTION mc.claim_messages(text, integer, interval) IS 'Claims pending messages of a channel under a lease; report each with its lease_token';
REVOKE ALL ON FUNCTION mc.claim_messages(text, integer, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mc.claim_messages(text, integer, interval) TO mc_delivery_agent;
