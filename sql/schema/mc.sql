CREATE SCHEMA mc;
COMMENT ON SCHEMA mc IS 'message_center: transactional messaging';
-- Every role reaches its objects through the schema; what it may do with each object is granted
-- beside the object.
GRANT USAGE ON SCHEMA mc TO mc_event_writer, mc_status_reader, mc_template_manager, mc_delivery_agent,
  mc_control_agent, mc_gateway;
