-- message_center 0.2.0 -> 0.3.0: archiving inserts what it has certainly not archived yet
-- plainly and upserts only the overlap with the previous run.
\echo Use "ALTER EXTENSION message_center UPDATE TO '0.3.0'" to load this file. \quit
