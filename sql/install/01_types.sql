-- Processing state of an event (spec section 3).
CREATE TYPE mc.event_status AS ENUM (
  'pending', 'pending_delivery', 'sent', 'ignored', 'delivery_failed',
  'not_taken_into_account', 'expired');
COMMENT ON TYPE mc.event_status IS 'Processing state of an event';

-- Delivery channels. The original product's numeric codes (0, 1, 41, 42) are accepted by
-- mc.push_event / mc.push_events and translated to these names.
CREATE TYPE mc.channel AS ENUM ('email', 'sms', 'push_ios', 'push_android', 'webhook');
COMMENT ON TYPE mc.channel IS 'Delivery channel of an event, template and message';

-- Outcome of one message in the delivery log.
CREATE TYPE mc.delivery_status AS ENUM ('pending', 'sent', 'ignored', 'failed');
COMMENT ON TYPE mc.delivery_status IS 'Delivery outcome of one message';
