-- message_center 0.4.0 -> 0.5.0. Hand-written DDL deltas, and "\ir <path>" lines that pull in
-- the current file of each changed function or view (sql/README.md says how).
-- test/e2e/upgrade.sh checks that the result equals a fresh install of 0.5.0.

-- mc.push_events_json: the text intake path (issue 13).
\ir functions/push_events_json.sql
