-- Delivery providers as the sender workers see them: routed or not, workers running, messages
-- in flight (leased), outcomes of the last hour, the last error. Never shows a secret.
--   state: unrouted | stopped (no sender worker running) | failing (the last outcome was an
--   error, within 5 minutes) | active
CREATE OR REPLACE VIEW mc.provider_status AS
  SELECT p.name AS provider, p.channel::text AS channel, p.kind,
         CASE WHEN r.provider IS NULL THEN 'unrouted'
              WHEN NOT EXISTS (SELECT FROM mc.sender_worker w JOIN pg_catalog.pg_stat_activity a
                               ON a.pid = w.pid AND a.backend_type = 'mc sender') THEN 'stopped'
              WHEN e.last_error_at > coalesce(e.last_sent_at, '-infinity')
                   AND e.last_error_at > pg_catalog.now() - interval '5 minutes' THEN 'failing'
              ELSE 'active' END AS state,
         CASE WHEN r.provider IS NULL THEN 0 ELSE
           (SELECT count(*) FROM mc.delivery_log d WHERE d.status = 'pending' AND d.channel = p.channel
              AND d.lease_token IS NOT NULL AND d.lease_until > pg_catalog.now()) END AS in_flight,
         coalesce(c.sent, 0) AS sent_1h, coalesce(c.deferred, 0) AS deferred_1h,
         coalesce(c.failed, 0) AS failed_1h, e.last_error, e.last_error_at
  FROM mc.provider p
  LEFT JOIN mc.channel_route r ON r.provider = p.name
  LEFT JOIN mc.provider_error e ON e.provider = p.name
  LEFT JOIN LATERAL (SELECT sum(x.sent) AS sent, sum(x.deferred) AS deferred, sum(x.failed) AS failed
                     FROM mc.provider_counter x
                     WHERE x.provider = p.name AND x.minute > pg_catalog.now() - interval '1 hour') c ON true;
COMMENT ON VIEW mc.provider_status IS 'Delivery providers: routing, workers, in flight, outcomes of the last hour, last error';
GRANT SELECT ON mc.provider_status TO mc_status_reader;
