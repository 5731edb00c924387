-- Reports a message's outcome: 'sent', 'ignored' or 'failed' (with a reason such as
-- user_unknown, invalid_domain, mailbox_full, denylisted, rejected).
-- - With lease (the lease_token mc.claim_messages returned): the first outcome of a claimed
--   message. Taken only while that lease is the message's current one, even past lease_until
--   if nobody has claimed it since (the report is late but still the only one); refused once the
--   message was claimed again (55000), so a slow sender never overwrites the new holder's outcome.
-- - Without lease: only a later outcome of a message already reported, such as a bounce after
--   'sent' (it replaces the earlier one: bounces arrive long after any lease). A pending message
--   (claimed or not) is refused (55000): nobody reports what they did not claim.
-- updateEventsStatus copies the outcome onto the event.
CREATE OR REPLACE FUNCTION mc.report_delivery(event_id bigint, status text, failure_reason text DEFAULT NULL,
                                   lease uuid DEFAULT NULL)
  RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  current mc.delivery_log;
BEGIN
  IF $2 IS NULL OR $2 NOT IN ('sent', 'ignored', 'failed') THEN
    RAISE EXCEPTION 'status must be sent, ignored or failed, not "%"', $2
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF $2 = 'failed' AND $3 IS NULL THEN
    RAISE EXCEPTION 'failure_reason is required when status is failed'
      USING ERRCODE = 'not_null_violation';
  END IF;
  SELECT * INTO current FROM mc.delivery_log d WHERE d.event_id = $1 FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no message for event %', $1 USING ERRCODE = 'no_data_found';
  END IF;
  IF $4 IS NULL AND current.status = 'pending' THEN
    RAISE EXCEPTION 'message of event % is not reported yet: report it with the lease_token mc.claim_messages returned', $1
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  IF $4 IS NOT NULL AND (current.status <> 'pending' OR current.lease_token IS DISTINCT FROM $4) THEN
    RAISE EXCEPTION 'the lease on the message of event % is no longer held: %', $1,
      CASE WHEN current.status <> 'pending' THEN 'its outcome was reported already'
           ELSE 'it was claimed again after the lease expired' END
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  UPDATE mc.delivery_log d
  SET status = $2::mc.delivery_status, failure_reason = $3, lease_until = NULL, lease_token = NULL,
      last_modified_at = clock_timestamp()
  WHERE d.event_id = $1;
END $$;
COMMENT ON FUNCTION mc.report_delivery(bigint, text, text, uuid) IS 'Reports the delivery outcome of one message (with its lease), or a later outcome (a bounce)';
REVOKE ALL ON FUNCTION mc.report_delivery(bigint, text, text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mc.report_delivery(bigint, text, text, uuid) TO mc_delivery_agent;
