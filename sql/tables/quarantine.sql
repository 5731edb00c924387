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
