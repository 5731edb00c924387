-- What each of the three roles (00_roles.sql) may do.


GRANT USAGE ON SCHEMA mc TO mc_event_writer, mc_status_reader, mc_template_manager;

-- Writers push events (functions or INSERT/COPY) and learn the ids of their own pushes.
GRANT EXECUTE ON FUNCTION mc.push_event(jsonb, text), mc.push_events(jsonb, text)
  TO mc_event_writer;
GRANT INSERT ON mc.rt_event, mc.batch_event TO mc_event_writer;
GRANT SELECT (id, idempotency_key) ON mc.rt_event, mc.batch_event TO mc_event_writer;
GRANT USAGE ON SEQUENCE mc.event_id_seq TO mc_event_writer;

-- Readers see the status views, not the queues themselves.
GRANT SELECT ON mc.event, mc.event_status_summary, mc.queue_health TO mc_status_reader;

-- Template managers write templates and their seed addresses and see what is published.
GRANT SELECT, INSERT, UPDATE, DELETE ON mc.template, mc.seed_address TO mc_template_manager;
GRANT SELECT ON mc.published_template TO mc_template_manager;
