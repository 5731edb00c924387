-- Registering execution instances: every refusal, and all or nothing. The instance used is
-- this very database over loopback (instance id 0), through a real postgres_fdw connection.
-- psql variables: host, port, password (test/run-sql-tests.sh sets them; the password may be
-- empty, so nothing is appended after it in a connection string).
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT plan(26);

CREATE TEMP TABLE conn AS SELECT format('host=%s port=%s dbname=%s user=%s password=%s',
  :'host', :'port', current_database(), current_user, :'password') AS ok,
  format('host=%s port=1 dbname=%s user=%s password=%s connect_timeout=2',
  :'host', current_database(), current_user, :'password') AS dead_port,
  format('host=%s port=%s dbname=no_such_db user=%s password=%s',
  :'host', :'port', current_user, :'password') AS no_db,
  format('host=%s port=%s dbname=postgres user=%s password=%s',
  :'host', :'port', current_user, :'password') AS no_mc;

DROP EXTENSION IF EXISTS postgres_fdw;
SELECT throws_ok(format('SELECT mc.register_execution_instance(%L, 0, %L)', 'self', (SELECT ok FROM conn)),
  '55000', 'postgres_fdw is not installed in database "' || current_database() || '"',
  'without postgres_fdw: a clear error');
CREATE EXTENSION postgres_fdw;

SELECT throws_ok($$SELECT mc.register_execution_instance('Bad-Name', 0, 'host=x')$$, '22023', NULL,
  'name syntax is checked');
SELECT throws_ok($$SELECT mc.register_execution_instance(NULL, 0, 'host=x')$$, '22023', NULL,
  'name must not be null');
SELECT throws_ok($$SELECT mc.register_execution_instance('x', 256, 'host=x')$$, '22023',
  'instance_id must be between 0 and 255, got 256', 'instance_id range is checked');
SELECT throws_ok($$SELECT mc.register_execution_instance('x', NULL, 'host=x')$$, '22023', NULL,
  'instance_id must not be null');
SELECT throws_ok($$SELECT mc.register_execution_instance('x', 0, NULL)$$, '22004',
  'conninfo must not be null', 'conninfo must not be null');
SELECT throws_like($$SELECT mc.register_execution_instance('x', 0, 'host=a nonsense=1')$$,
  'conninfo is not a valid connection string: %nonsense%', 'a malformed conninfo names the bad option');
SELECT throws_ok($$SELECT mc.register_execution_instance('x', 0, 'host=''unterminated')$$, '22023', NULL,
  'an unterminated quote is refused');
SELECT throws_ok(format('SELECT mc.register_execution_instance(%L, 0, %L)', 'dead', (SELECT dead_port FROM conn)),
  '08001', NULL, 'an instance that does not answer is refused at registration');
SELECT throws_like(format('SELECT mc.register_execution_instance(%L, 0, %L)', 'dead', (SELECT dead_port FROM conn)),
  'cannot connect to execution instance "dead": %port 1 failed%', 'the error says why');
SELECT throws_like(format('SELECT mc.register_execution_instance(%L, 0, %L)', 'nodb', (SELECT no_db FROM conn)),
  'cannot connect to execution instance "nodb": %no_such_db%', 'a wrong dbname is named');
SELECT throws_ok(format('SELECT mc.register_execution_instance(%L, 0, %L)', 'nomc', (SELECT no_mc FROM conn)),
  '55000', 'execution instance "nomc" does not run message_center (no schema mc there)',
  'a database without message_center is refused');
SELECT throws_ok(format('SELECT mc.register_execution_instance(%L, 7, %L)', 'self', (SELECT ok FROM conn)),
  '22023', 'instance_id 7 does not match execution instance "self", whose instance id is 0',
  'a mismatched instance id is refused');
SELECT lives_ok(format('SELECT mc.register_execution_instance(%L, 0, %L)', 'self', 'sslpassword=hunter2 ' || (SELECT ok FROM conn)),
  'the matching instance id registers');
SELECT is((SELECT count(*)::int FROM pg_user_mappings WHERE srvname = 'mc_exec_self'), 1,
  'a user mapping holds the credentials');
SELECT ok((SELECT NOT EXISTS (SELECT FROM pg_foreign_server s, unnest(s.srvoptions) o
                              WHERE s.srvname = 'mc_exec_self' AND (o LIKE 'password=%' OR o LIKE 'user=%'))),
  'the server options hold no credentials');
SELECT ok((SELECT NOT EXISTS (SELECT FROM pg_foreign_server s, unnest(s.srvoptions) o WHERE o LIKE '%hunter2%')),
  'nor the key passphrase (sslpassword): server options are readable by every role');
SELECT ok((SELECT bool_and('sslpassword=hunter2' = ANY (u.umoptions)) FROM pg_user_mappings u WHERE u.srvname = 'mc_exec_self'),
  'the passphrase is in the user mapping');
SELECT is((SELECT count(*)::int FROM (
    SELECT s.srvowner AS owner FROM pg_foreign_server s WHERE s.srvname = 'mc_exec_self'
    UNION ALL SELECT n.nspowner FROM pg_namespace n WHERE n.nspname = 'mc_exec_self'
    UNION ALL SELECT c.relowner FROM pg_class c WHERE c.relnamespace = 'mc_exec_self'::regnamespace) o
  WHERE o.owner = (SELECT extowner FROM pg_extension WHERE extname = 'message_center')), 9,
  'the server, the schema and its 7 foreign tables belong to the extension''s owner');
SELECT is((SELECT is_local FROM mc.execution_instance WHERE name = 'self'), true,
  'it is recognised as this very database (publication skips it)');
SELECT throws_ok(format('SELECT mc.register_execution_instance(%L, 0, %L)', 'self', (SELECT ok FROM conn)),
  '42710', 'execution instance "self" is already registered', 'a name registers once');
SELECT throws_ok(format('SELECT mc.register_execution_instance(%L, 0, %L)', 'other', (SELECT ok FROM conn)),
  '23505', 'instance_id 0 is already used by execution instance "self"', 'an instance id registers once');
SELECT ok(mc.archive_horizon('self') BETWEEN clock_timestamp() - interval '1 minute' AND clock_timestamp(),
  'the remote horizon is read through postgres_fdw');
SELECT throws_ok($$SELECT mc.create_archiving_workflow('nobody')$$, '42704',
  'execution instance "nobody" is not registered', 'archiving an unknown instance is refused');

SELECT lives_ok($$SELECT mc.unregister_execution_instance('self')$$, 'unregister');
SELECT is((SELECT count(*)::int FROM pg_foreign_server WHERE srvname LIKE 'mc_exec_%')
        + (SELECT count(*)::int FROM pg_namespace WHERE nspname LIKE 'mc_exec_%')
        + (SELECT count(*)::int FROM mc.execution_instance), 0,
  'unregister removes the server, the schema and the registration');

SELECT * FROM finish();
ROLLBACK;
