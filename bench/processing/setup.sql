-- Templates of the workload, published for message_center (the baselines read
-- bench.workload_template directly).
\set ON_ERROR_STOP on
SELECT count(mc.create_template(event_type, event_type, 'email', subject => subject,
                                body_html => body_html, body_text => body_text))
FROM bench.workload_template;
SELECT count(mc.publish_template(event_type)) FROM bench.workload_template;
