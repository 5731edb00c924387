-- Delivery channels. The original product's numeric codes (0, 1, 41, 42) are accepted by
-- mc.push_event / mc.push_events and translated to these names.
CREATE TYPE mc.channel AS ENUM ('email', 'sms', 'push_ios', 'push_android', 'webhook');
COMMENT ON TYPE mc.channel IS 'Delivery channel of an event, template and message';
