CREATE SCHEMA mc;
COMMENT ON SCHEMA mc IS 'message_center: transactional messaging';
GRANT USAGE ON SCHEMA mc TO mc_event_writer, mc_status_reader, mc_template_manager, mc_control_agent;
