-- Counts soft address failures (mailbox full) and quarantines the addresses that reached the
-- rule of mc.settings (soft_quarantine_failures, the first at least soft_quarantine_span before
-- the latest); see tables/soft_failure.sql. Arrays of the same length, one element per failed
-- attempt (an address may repeat). Used by the sender workers' outcome recording and by
-- mc.report_bounce. Returns how many addresses it quarantined.
CREATE OR REPLACE FUNCTION mc._soft_failures(channels mc.channel[], addresses text[], reasons text[])
  RETURNS integer
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  s mc.settings;
  now_ timestamptz := clock_timestamp();
  n integer;
BEGIN
  SELECT * INTO s FROM mc.settings;
  WITH f AS (
    SELECT x.channel, x.address, max(x.reason) AS reason, count(*)::integer AS failures
    FROM unnest($1, $2, $3) AS x (channel, address, reason)
    WHERE x.address IS NOT NULL
    GROUP BY x.channel, x.address),
  counted AS (
    INSERT INTO mc.soft_failure AS t (channel, address, reason, failures, first_failure_at, last_failure_at)
    SELECT f.channel, f.address, coalesce(f.reason, 'mailbox_full'), f.failures, now_, now_ FROM f
    ON CONFLICT (channel, address) DO UPDATE
      SET failures = t.failures + excluded.failures, last_failure_at = excluded.last_failure_at,
          reason = excluded.reason
    RETURNING t.*),
  due AS (
    INSERT INTO mc.quarantine AS q (channel, address, reason, error_count)
    SELECT c.channel, c.address, c.reason, c.failures FROM counted c
    WHERE c.failures >= s.soft_quarantine_failures
      AND c.last_failure_at - c.first_failure_at >= s.soft_quarantine_span
    ON CONFLICT (channel, address) DO UPDATE
      SET error_count = q.error_count + 1, updated_at = now_
    RETURNING q.channel, q.address)
  SELECT count(*) INTO n FROM due;
  -- Quarantined: counting starts again if the address is ever lifted from the quarantine.
  DELETE FROM mc.soft_failure t
  WHERE (t.channel, t.address) IN (SELECT q.channel, q.address FROM mc.quarantine q
                                   JOIN unnest($1, $2) AS x (channel, address)
                                     ON q.channel = x.channel AND q.address = x.address);
  RETURN n;
END $$;
REVOKE ALL ON FUNCTION mc._soft_failures(mc.channel[], text[], text[]) FROM PUBLIC;
