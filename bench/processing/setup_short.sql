-- Templates of the short workload, published for message_center (the baseline reads
-- bench.short_template directly).
\set ON_ERROR_STOP on
SELECT count(mc.create_template(event_type, event_type, channel, body_text => body_text))
FROM bench.short_template;
SELECT count(mc.publish_template(event_type)) FROM bench.short_template;
