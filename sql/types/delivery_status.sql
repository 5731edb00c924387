-- Outcome of one message in the delivery log.
CREATE TYPE mc.delivery_status AS ENUM ('pending', 'sent', 'ignored', 'failed');
COMMENT ON TYPE mc.delivery_status IS 'Delivery outcome of one message';
