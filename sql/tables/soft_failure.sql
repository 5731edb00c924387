-- Soft address failures (mailbox full: 4.2.2 / 5.2.2, "over quota") counted per address
-- (spec section 8, "repeated soft failures quarantine the address"). mc._soft_failures counts
-- them and quarantines the address (reason mailbox_full) once it collected
-- mc.settings.soft_quarantine_failures of them, the first at least soft_quarantine_span before
-- the latest (a mailbox full for days, not one bad minute). A message sent to the address
-- forgets its count. Internal: no role reads it (mc.quarantine says what was decided).
CREATE TABLE mc.soft_failure (
  channel mc.channel NOT NULL,
  address text NOT NULL,
  reason text NOT NULL,
  failures integer NOT NULL DEFAULT 1,
  first_failure_at timestamptz NOT NULL DEFAULT now(),
  last_failure_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (channel, address)
);
COMMENT ON TABLE mc.soft_failure IS 'Soft (mailbox full) failures counted per address before a quarantine';
SELECT pg_catalog.pg_extension_config_dump('mc.soft_failure', '');
