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
REVOKE ALL ON FUNCTION mc.report_delivery(bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mc.report_delivery(bigint, text, text) TO mc_delivery_agent;
