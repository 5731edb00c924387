-- Processing state of an event (spec section 3).
CREATE TYPE mc.event_status AS ENUM (
  'pending', 'pending_delivery', 'sent', 'ignored', 'delivery_failed',
  'not_taken_into_account', 'expired');
COMMENT ON TYPE mc.event_status IS 'Processing state of an event';
