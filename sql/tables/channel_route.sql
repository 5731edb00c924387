-- Which provider sends a channel's messages (mc.route_channel). A channel without a route is
-- left to an external sender (mc.claim_messages / mc.report_delivery).
CREATE TABLE mc.channel_route (
  channel mc.channel PRIMARY KEY,
  provider text NOT NULL REFERENCES mc.provider (name),
  routed_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE mc.channel_route IS 'Channel to provider routes of the sender workers (mc.route_channel)';
GRANT SELECT ON mc.channel_route TO mc_status_reader;
SELECT pg_catalog.pg_extension_config_dump('mc.channel_route', '');
