-- Bounces (spec section 8): a DSN or any bounce as received, parsed by the delivery core
-- (src/delivery/bounce_parser.hpp, mc._parse_bounce). Matched to a message by the Message-ID
-- recorded on the delivery log (whose event id it starts with), else the returned X-MC-Event-Id, else the failed recipient's
-- latest message of the last 30 days. A failure (even after 'sent': a late bounce) fails the
-- message, which the status copy turns into delivery_failed; a permanent address failure
-- quarantines the address, a soft one (mailbox full) counts towards it (mc._soft_failures). Returns the event id matched, or NULL (no failure found, an
-- automatic reply, nothing matched).
CREATE OR REPLACE FUNCTION mc._parse_bounce(message text) RETURNS jsonb
  LANGUAGE c IMMUTABLE STRICT AS 'MODULE_PATHNAME', 'mc_parse_bounce';
REVOKE ALL ON FUNCTION mc._parse_bounce(text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION mc.report_bounce(message text) RETURNS bigint
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  b jsonb;
  r jsonb;
  d mc.delivery_log;
BEGIN
  IF $1 IS NULL THEN
    RETURN NULL;
  END IF;
  b := mc._parse_bounce($1);
  IF (b->>'auto_reply')::boolean OR jsonb_array_length(b->'recipients') = 0 THEN
    RETURN NULL;
  END IF;
  -- The sender's Message-IDs start with the event id (<event_id.random@domain>): found by
  -- primary key, then the whole Message-ID must be the one recorded.
  SELECT * INTO d FROM mc.delivery_log x
  WHERE x.event_id IN (SELECT n.i::bigint
                       FROM jsonb_array_elements_text(b->'message_ids') m,
                            LATERAL (SELECT substring(m FROM '^<?(-?[0-9]{1,19})\.')::numeric AS i) n
                       WHERE n.i BETWEEN -9223372036854775808 AND 9223372036854775807)
    AND x.message_id IN (SELECT jsonb_array_elements_text(b->'message_ids'))
  ORDER BY x.event_id DESC LIMIT 1 FOR UPDATE;
  IF NOT FOUND AND (CASE WHEN b->>'event_id' ~ '^-?[0-9]{1,19}$'
                         THEN (b->>'event_id')::numeric BETWEEN -9223372036854775808 AND 9223372036854775807
                         ELSE false END) THEN
    SELECT * INTO d FROM mc.delivery_log x WHERE x.event_id = (b->>'event_id')::bigint FOR UPDATE;
  END IF;
  IF NOT FOUND THEN
    SELECT * INTO d FROM mc.delivery_log x
    WHERE x.channel = 'email' AND x.status IN ('sent', 'pending')
      AND lower(x.address) IN (SELECT lower(y->>'address') FROM jsonb_array_elements(b->'recipients') y)
      AND x.created_at > now() - interval '30 days'
    ORDER BY x.event_id DESC LIMIT 1 FOR UPDATE;
  END IF;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  -- The recipient the report says something about for this message (else the first).
  SELECT y INTO r FROM jsonb_array_elements(b->'recipients') WITH ORDINALITY AS t (y, n)
  ORDER BY (lower(y->>'address') = lower(d.address)) DESC, n LIMIT 1;
  IF r->>'disposition' = 'failed' AND d.status IN ('sent', 'pending') THEN
    UPDATE mc.delivery_log x
    SET status = 'failed', failure_reason = coalesce(nullif(r->>'failure_reason', ''), nullif(r->>'diagnostic', ''), r->>'status', 'bounced'),
        lease_until = NULL, lease_token = NULL, last_modified_at = clock_timestamp()
    WHERE x.event_id = d.event_id;
  END IF;
  IF r->>'quarantine' = 'hard' THEN
    INSERT INTO mc.quarantine AS t (channel, address, reason) VALUES (d.channel, d.address, r->>'quarantine_reason')
    ON CONFLICT (channel, address) DO UPDATE
      SET error_count = t.error_count + 1, updated_at = now(), reason = excluded.reason;
  ELSIF r->>'quarantine' = 'soft' THEN
    PERFORM mc._soft_failures(ARRAY[d.channel], ARRAY[d.address],
                              ARRAY[coalesce(nullif(r->>'quarantine_reason', ''), 'mailbox_full')]);
  END IF;
  RETURN d.event_id;
END $$;
COMMENT ON FUNCTION mc.report_bounce(text) IS 'Reports a bounce as received; returns the event id it matched, or NULL';
REVOKE ALL ON FUNCTION mc.report_bounce(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mc.report_bounce(text) TO mc_delivery_agent;
