-- Addresses the delivery refuses to send to; their events are ignored.
CREATE TABLE mc.quarantine (
  channel mc.channel NOT NULL,
  address text NOT NULL,
  reason text NOT NULL,
  error_count integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (channel, address)
);
COMMENT ON TABLE mc.quarantine IS 'Quarantined (denylisted) addresses per channel';
GRANT SELECT ON mc.quarantine TO mc_control_agent;
-- An external sender quarantines addresses it finds dead and lifts what it quarantined.
GRANT SELECT, INSERT, UPDATE, DELETE ON mc.quarantine TO mc_delivery_agent;
-- User data: pg_dump keeps it (an extension's tables are otherwise dumped as definitions only).
SELECT pg_catalog.pg_extension_config_dump('mc.quarantine', '');
