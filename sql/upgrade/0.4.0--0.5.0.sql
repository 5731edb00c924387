-- message_center 0.4.0 -> 0.5.0. Hand-written DDL deltas, and "\ir <path>" lines that pull in
-- the current file of each changed function or view (sql/README.md says how).
-- test/e2e/upgrade.sh checks that the result equals a fresh install of 0.5.0.

-- mc-gateway: the token lookup probes pg_authid by index; tokens changed or revoked notify
-- the gateways (they remember looked-up tokens), trigger api_token_changed.
\ir functions/api_tokens.sql
