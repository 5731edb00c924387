-- Before every measured run: empty tables of comparable size, no dirty pages left behind.
\set ON_ERROR_STOP on
TRUNCATE mc.rt_event, mc.batch_event, bench.plain_event;
VACUUM ANALYZE mc.rt_event, mc.batch_event, bench.plain_event;
CHECKPOINT;
