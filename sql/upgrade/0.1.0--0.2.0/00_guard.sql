-- message_center 0.1.0 -> 0.2.0: retention and purge (mcCleanup), the control instance
-- (execution instances through postgres_fdw, publication to them, archiving, reports).
\echo Use "ALTER EXTENSION message_center UPDATE TO '0.2.0'" to load this file. \quit
