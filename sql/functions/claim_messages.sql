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
REVOKE ALL ON FUNCTION mc.claim_messages(text, integer, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mc.claim_messages(text, integer, interval) TO mc_delivery_agent;
