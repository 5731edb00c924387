-- message_center 0.3.0 -> 0.4.0: hardening (every role works as the README says, backups keep
-- the data, nothing can be escalated or squatted, leases that mean something).
-- Written by hand: DDL deltas, and "\ir" lines that pull in the current file of each changed
-- function or view (sql/stitch.sh). test/e2e/upgrade.sh checks that the result equals a fresh
-- install of 0.4.0.
\echo Use "ALTER EXTENSION message_center UPDATE TO '0.4.0'" to load this file. \quit
SELECT pg_catalog.set_config('search_path', 'mc, pg_catalog', true);

-- Roles: the delivery agent reaches its functions and the quarantine, template managers the
-- partials; writers insert the event's own fields only.
GRANT USAGE ON SCHEMA mc TO mc_delivery_agent;
GRANT SELECT, INSERT, UPDATE, DELETE ON mc.quarantine TO mc_delivery_agent;
GRANT SELECT, INSERT, UPDATE, DELETE ON mc.partial TO mc_template_manager;
REVOKE INSERT ON mc.rt_event, mc.batch_event FROM mc_event_writer;
GRANT INSERT (event_type, email, mobile_phone, external_id, origin, idempotency_key, wished_channel,
              language, country, ctx, scheduled_at, expires_at)
  ON mc.rt_event, mc.batch_event TO mc_event_writer;

-- Settings: delivery-API bounds; the seed row merges with a restored one; the enrichment
-- function is checked when set.
ALTER TABLE mc.settings
  ADD COLUMN max_delivery_attempts integer NOT NULL DEFAULT 10 CHECK (max_delivery_attempts BETWEEN 1 AND 1000),
  ADD COLUMN max_lease interval NOT NULL DEFAULT '1 hour' CHECK (max_lease > '0');
-- Restoring a dump: CREATE EXTENSION has inserted the seed rows of mc.settings,
-- mc.workflow_state and mc.unsubscribe_key, and pg_dump's data of those configuration tables then inserts them again.
-- The restored row replaces the seed row instead of failing on the primary key. (An ON
-- CONFLICT in pg_dump's COPY is not possible; a BEFORE INSERT trigger is, and these tables are
-- written once in a while, never in bulk.)
CREATE OR REPLACE FUNCTION mc._merge_seed_row() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  CASE TG_TABLE_NAME
    WHEN 'settings' THEN DELETE FROM mc.settings s WHERE s.singleton = NEW.singleton;
    WHEN 'unsubscribe_key' THEN DELETE FROM mc.unsubscribe_key k WHERE k.singleton = NEW.singleton;
    ELSE DELETE FROM mc.workflow_state w WHERE w.workflow = NEW.workflow;
  END CASE;
  RETURN NEW;
END $$;
-- The enrichment function (mc.settings.enrichment_function) runs inside processing, as the
-- role that runs the workflows (a superuser under pg_cron). So it must be a function whose
-- body no one else can change: owned by a superuser or by the extension's owner. It is stored
-- as its OID (regproc) and called by that OID, never looked up by name again, so a function of
-- the same name put in front of it on a search path is never called.
CREATE OR REPLACE FUNCTION mc._check_enrichment_function() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  fn pg_proc;
BEGIN
  IF NEW.enrichment_function IS NULL THEN
    RETURN NEW;
  END IF;
  SELECT * INTO fn FROM pg_proc p WHERE p.oid = NEW.enrichment_function;
  IF fn.pronargs <> 1 OR fn.proargtypes[0] <> 'bigint[]'::regtype OR NOT fn.proretset THEN
    RAISE EXCEPTION 'enrichment_function % must be fn(ids bigint[]) RETURNS TABLE (event_id bigint, data jsonb)',
      NEW.enrichment_function USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles r WHERE r.oid = fn.proowner AND r.rolsuper)
     AND fn.proowner <> (SELECT x.extowner FROM pg_extension x WHERE x.extname = 'message_center') THEN
    RAISE EXCEPTION 'enrichment_function % is owned by %, which is neither a superuser nor the owner of message_center',
      NEW.enrichment_function, fn.proowner::regrole
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'Processing runs it as the workflows'' role: only a function its owner alone can change may run there.';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER settings_restore BEFORE INSERT ON mc.settings
  FOR EACH ROW EXECUTE FUNCTION mc._merge_seed_row();
CREATE TRIGGER settings_enrichment_function BEFORE INSERT OR UPDATE OF enrichment_function ON mc.settings
  FOR EACH ROW EXECUTE FUNCTION mc._check_enrichment_function();
SELECT pg_catalog.pg_extension_config_dump('mc.workflow_state', '');
CREATE TRIGGER workflow_state_restore BEFORE INSERT ON mc.workflow_state
  FOR EACH ROW EXECUTE FUNCTION mc._merge_seed_row();

-- Backups: every table holding user data; a restored template or partial keeps its updated_at.
-- Every template and partial is compiled when written, whichever way it is written. An UPDATE
-- stamps updated_at; an INSERT keeps the one it brings (a restored dump's), or the default.
CREATE OR REPLACE FUNCTION mc._template_before_write() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF TG_TABLE_NAME = 'partial' THEN
    PERFORM mc._check_template_part('partial ' || NEW.name, NEW.body);
    IF TG_OP = 'UPDATE' THEN
      NEW.updated_at := now();
    END IF;
    RETURN NEW;
  END IF;
  CASE NEW.channel
    WHEN 'email' THEN
      IF NEW.subject IS NULL OR (NEW.body_html IS NULL AND NEW.body_text IS NULL) THEN
        RAISE EXCEPTION 'template "%": an email template needs subject and body_html or body_text', NEW.name
          USING ERRCODE = 'not_null_violation';
      END IF;
    WHEN 'sms' THEN
      IF NEW.body_text IS NULL THEN
        RAISE EXCEPTION 'template "%": an sms template needs body_text', NEW.name USING ERRCODE = 'not_null_violation';
      END IF;
    WHEN 'webhook' THEN
      IF NEW.webhook_url IS NULL THEN
        RAISE EXCEPTION 'template "%": a webhook template needs webhook_url', NEW.name USING ERRCODE = 'not_null_violation';
      END IF;
    ELSE  -- push
      IF NEW.subject IS NULL AND NEW.body_text IS NULL THEN
        RAISE EXCEPTION 'template "%": a push template needs subject (title) or body_text (body)', NEW.name
          USING ERRCODE = 'not_null_violation';
      END IF;
  END CASE;
  IF NEW.language IS NOT NULL AND NEW.language !~ '^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$' THEN
    RAISE EXCEPTION 'template "%": language "%" is not a language tag such as "fr" or "pt-BR"', NEW.name, NEW.language
      USING ERRCODE = 'invalid_text_representation';
  END IF;
  PERFORM mc._check_template_part('sender', NEW.sender);
  PERFORM mc._check_template_part('subject', NEW.subject);
  PERFORM mc._check_template_part('body_html', NEW.body_html);
  PERFORM mc._check_template_part('body_text', NEW.body_text);
  PERFORM mc._check_template_part('push_data', NEW.push_data);
  PERFORM mc._check_template_part('webhook_url', NEW.webhook_url);
  IF TG_OP = 'UPDATE' THEN
    NEW.updated_at := now();
  END IF;
  RETURN NEW;
END $$;
SELECT pg_catalog.pg_extension_config_dump('mc.rt_event', '');
SELECT pg_catalog.pg_extension_config_dump('mc.batch_event', '');
SELECT pg_catalog.pg_extension_config_dump('mc.event_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('mc.template', '');
SELECT pg_catalog.pg_extension_config_dump('mc.published_template', '');
SELECT pg_catalog.pg_extension_config_dump('mc.partial', '');
SELECT pg_catalog.pg_extension_config_dump('mc.seed_address', '');
SELECT pg_catalog.pg_extension_config_dump('mc.delivery', '');
SELECT pg_catalog.pg_extension_config_dump('mc.delivery_log', '');
SELECT pg_catalog.pg_extension_config_dump('mc.quarantine', '');
SELECT pg_catalog.pg_extension_config_dump('mc.archive_cursor', '');
SELECT pg_catalog.pg_extension_config_dump('mc.execution_instance', '');
SELECT pg_catalog.pg_extension_config_dump('mc.instance_publication', '');
SELECT pg_catalog.pg_extension_config_dump('mc.event_histo', '');
SELECT pg_catalog.pg_extension_config_dump('mc.broadlog_event_histo', '');
SELECT pg_catalog.pg_extension_config_dump('mc.archive_state', '');
-- (and where the identity columns have got to)
SELECT pg_catalog.pg_extension_config_dump('mc.template_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('mc.published_template_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('mc.seed_address_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('mc.delivery_id_seq', '');

-- The delivery API: lease tokens, bounded leases and attempts.
ALTER TABLE mc.delivery_log ADD COLUMN lease_token uuid;
DROP FUNCTION mc.claim_messages(text, integer, interval);
-- The delivery API: whatever sends messages claims pending ones under a lease and reports
-- each outcome with the lease's token. A crashed sender's lease expires and its messages are
-- claimed again, with a new token: the old holder's late report is then refused, so it can
-- never overwrite the new holder's outcome. A message claimed max_delivery_attempts times
-- (mc.settings) without a report fails instead of being claimed again. One clock throughout:
-- clock_timestamp(), for leases taken and leases compared.
CREATE OR REPLACE FUNCTION mc.claim_messages(channel text, max_messages integer,
                                  lease interval DEFAULT '5 minutes')
  RETURNS TABLE (event_id bigint, address text, sender text, subject text, body_html text,
                 body_text text, push_data text, webhook_url text, attempts integer,
                 lease_token uuid, lease_until timestamptz)
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  s mc.settings;
  now_ timestamptz := clock_timestamp();
BEGIN
  SELECT * INTO s FROM mc.settings;
  IF $1 IS NULL OR $1 NOT IN ('email', 'sms', 'push_ios', 'push_android', 'webhook') THEN
    RAISE EXCEPTION 'channel must be one of email, sms, push_ios, push_android, webhook, not "%"', $1
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF $2 IS NULL OR $2 < 1 OR $2 > 100000 THEN
    RAISE EXCEPTION 'max_messages must be between 1 and 100000, got %', $2
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF $3 IS NULL OR $3 <= interval '0' OR $3 > s.max_lease THEN
    RAISE EXCEPTION 'lease must be a positive interval of at most % (mc.settings.max_lease), got %', s.max_lease, $3
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- Messages whose last lease expired after the last allowed attempt fail (no sender ever
  -- reported on them: a message that crashes its senders must not be claimed forever).
  WITH exhausted AS (
    SELECT d.event_id FROM mc.delivery_log d
    WHERE d.status = 'pending' AND d.channel = $1::mc.channel
      AND d.attempts >= s.max_delivery_attempts AND d.lease_until < now_
    FOR UPDATE SKIP LOCKED)
  UPDATE mc.delivery_log d
  SET status = 'failed', failure_reason = format('no report after %s delivery attempts', d.attempts),
      lease_until = NULL, lease_token = NULL, last_modified_at = now_
  FROM exhausted x WHERE d.event_id = x.event_id;
  -- SKIP LOCKED: concurrent senders never wait on, nor get, each other's messages.
  RETURN QUERY
  WITH claimable AS (
    SELECT d.event_id FROM mc.delivery_log d
    WHERE d.status = 'pending' AND d.channel = $1::mc.channel
      AND (d.lease_until IS NULL OR d.lease_until < now_)
      AND d.attempts < s.max_delivery_attempts
    ORDER BY d.event_id LIMIT $2
    FOR UPDATE SKIP LOCKED)
  UPDATE mc.delivery_log d
  SET lease_until = now_ + $3, attempts = d.attempts + 1, lease_token = gen_random_uuid()
  FROM claimable c WHERE d.event_id = c.event_id
  RETURNING d.event_id, d.address, d.sender, d.subject, d.body_html, d.body_text, d.push_data,
            d.webhook_url, d.attempts, d.lease_token, d.lease_until;
END $$;
COMMENT ON FUNCTION mc.claim_messages(text, integer, interval) IS 'Claims pending messages of a channel under a lease; report each with its lease_token';
REVOKE ALL ON FUNCTION mc.claim_messages(text, integer, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mc.claim_messages(text, integer, interval) TO mc_delivery_agent;
DROP FUNCTION mc.report_delivery(bigint, text, text);
-- Reports a message's outcome: 'sent', 'ignored' or 'failed' (with a reason such as
-- user_unknown, invalid_domain, mailbox_full, denylisted, rejected).
-- - With lease (the lease_token mc.claim_messages returned): the first outcome of a claimed
--   message. Taken only while that lease is the message's current one, even past lease_until
--   if nobody has claimed it since (the report is late but still the only one); refused once the
--   message was claimed again (55000), so a slow sender never overwrites the new holder's outcome.
-- - Without lease: only a later outcome of a message already reported, such as a bounce after
--   'sent' (it replaces the earlier one: bounces arrive long after any lease). A pending message
--   (claimed or not) is refused (55000): nobody reports what they did not claim.
-- updateEventsStatus copies the outcome onto the event.
CREATE OR REPLACE FUNCTION mc.report_delivery(event_id bigint, status text, failure_reason text DEFAULT NULL,
                                   lease uuid DEFAULT NULL)
  RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  current mc.delivery_log;
BEGIN
  IF $2 IS NULL OR $2 NOT IN ('sent', 'ignored', 'failed') THEN
    RAISE EXCEPTION 'status must be sent, ignored or failed, not "%"', $2
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF $2 = 'failed' AND $3 IS NULL THEN
    RAISE EXCEPTION 'failure_reason is required when status is failed'
      USING ERRCODE = 'not_null_violation';
  END IF;
  SELECT * INTO current FROM mc.delivery_log d WHERE d.event_id = $1 FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no message for event %', $1 USING ERRCODE = 'no_data_found';
  END IF;
  IF $4 IS NULL AND current.status = 'pending' THEN
    RAISE EXCEPTION 'message of event % is not reported yet: report it with the lease_token mc.claim_messages returned', $1
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  IF $4 IS NOT NULL AND (current.status <> 'pending' OR current.lease_token IS DISTINCT FROM $4) THEN
    RAISE EXCEPTION 'the lease on the message of event % is no longer held: %', $1,
      CASE WHEN current.status <> 'pending' THEN 'its outcome was reported already'
           ELSE 'it was claimed again after the lease expired' END
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  UPDATE mc.delivery_log d
  SET status = $2::mc.delivery_status, failure_reason = $3, lease_until = NULL, lease_token = NULL,
      last_modified_at = clock_timestamp()
  WHERE d.event_id = $1;
END $$;
COMMENT ON FUNCTION mc.report_delivery(bigint, text, text, uuid) IS 'Reports the delivery outcome of one message (with its lease), or a later outcome (a bounce)';
REVOKE ALL ON FUNCTION mc.report_delivery(bigint, text, text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mc.report_delivery(bigint, text, text, uuid) TO mc_delivery_agent;

-- mc-gateway: its role, API tokens, one-click unsubscribe.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'mc_gateway') THEN
    CREATE ROLE mc_gateway NOLOGIN;
  END IF;
END $$;
GRANT USAGE ON SCHEMA mc TO mc_gateway;
-- API tokens of mc-gateway. Each token maps to the PostgreSQL role its requests run as, so the
-- database's privileges stay the only authority. Only the SHA-256 of a token is stored: the
-- token itself is shown once, by mc.create_api_token, and cannot be read back from here.
CREATE TABLE mc.api_token (
  label text PRIMARY KEY CHECK (label <> ''),
  -- A role name, not an oid reference: roles are cluster objects; the lookup joins pg_roles,
  -- so a token whose role was dropped (or renamed) matches nothing.
  role_name name NOT NULL,
  token_sha256 bytea NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
  created_at timestamptz NOT NULL DEFAULT now()
);
-- Owner only: even the hashes are nobody else's business (mc.api_token_role answers the gateway).
REVOKE ALL ON mc.api_token FROM PUBLIC;
COMMENT ON TABLE mc.api_token IS
  'mc-gateway API tokens: label, the role requests run as, SHA-256 of the token (never the token)';
-- User data: pg_dump keeps the tokens (their hashes).
SELECT pg_catalog.pg_extension_config_dump('mc.api_token', '');
-- The HMAC-SHA256 key of one-click unsubscribe links (RFC 8058), one row, generated at install.
-- Readable by the owner only: the SECURITY DEFINER functions of sql/functions/unsubscribe.sql
-- use it, so a link can be checked (and built by the delivery code) but never forged.
CREATE TABLE mc.unsubscribe_key (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  key bytea NOT NULL CHECK (length(key) = 32),
  created_at timestamptz NOT NULL DEFAULT now()
);
-- 32 bytes from two gen_random_uuid() (pg_strong_random: 244 random bits), hashed to 256 bits.
INSERT INTO mc.unsubscribe_key (key)
  SELECT pg_catalog.sha256(pg_catalog.convert_to(
    pg_catalog.gen_random_uuid()::text || pg_catalog.gen_random_uuid()::text, 'UTF8'));
REVOKE ALL ON mc.unsubscribe_key FROM PUBLIC;
COMMENT ON TABLE mc.unsubscribe_key IS
  'HMAC key of one-click unsubscribe links; owner only, used through mc.unsubscribe_token / mc.unsubscribe';
-- pg_dump keeps the key (links sent before a restore must keep working); the restored row
-- replaces the one a new CREATE EXTENSION generated (mc._merge_seed_row).
SELECT pg_catalog.pg_extension_config_dump('mc.unsubscribe_key', '');
CREATE TRIGGER unsubscribe_key_restore BEFORE INSERT ON mc.unsubscribe_key
  FOR EACH ROW EXECUTE FUNCTION mc._merge_seed_row();
-- API tokens of mc-gateway (table: sql/tables/api_token.sql).
--
-- The gateway's login holds mc_gateway (to call mc.api_token_role) and is a member of every
-- role a token maps to (to SET ROLE to it: GRANT mc_event_writer TO gateway_login). Each
-- request then runs as the token's role, so the database alone decides what it may do.

-- A new token for a role: returned once, only its SHA-256 is kept. ASCII and URL-safe (it
-- travels raw in a Cookie header), 244 random bits from pg_strong_random.
CREATE OR REPLACE FUNCTION mc.create_api_token(role name, label text) RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, mc, pg_temp
AS $$
DECLARE
  token text;
  is_superuser boolean;
BEGIN
  IF create_api_token.label IS NULL OR create_api_token.label = '' THEN
    RAISE EXCEPTION 'invalid argument: field "label" is empty' USING ERRCODE = '22023';
  END IF;
  SELECT r.rolsuper INTO is_superuser FROM pg_catalog.pg_roles r WHERE r.rolname = $1;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'invalid argument: field "role": role "%" does not exist', $1
      USING ERRCODE = '42704';
  END IF;
  -- A superuser bypasses every privilege: a token for it would make the gateway the authority.
  IF is_superuser THEN
    RAISE EXCEPTION 'invalid argument: field "role": role "%" is a superuser', $1
      USING ERRCODE = '22023';
  END IF;
  token := 'mct_' || replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', '');
  INSERT INTO mc.api_token (label, role_name, token_sha256)
    VALUES (create_api_token.label, $1, sha256(convert_to(token, 'UTF8')));
  RETURN token;
END
$$;
REVOKE ALL ON FUNCTION mc.create_api_token(name, text) FROM PUBLIC;
COMMENT ON FUNCTION mc.create_api_token(name, text) IS
  'A new mc-gateway API token for a role (returned once; only its SHA-256 is stored). Owner/superuser only';

-- Revokes a token by label: true when there was one. The next request with it gets 401.
CREATE OR REPLACE FUNCTION mc.revoke_api_token(label text) RETURNS boolean
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, mc, pg_temp
AS $$
  WITH gone AS (DELETE FROM mc.api_token t WHERE t.label = $1 RETURNING 1)
  SELECT count(*) > 0 FROM gone
$$;
REVOKE ALL ON FUNCTION mc.revoke_api_token(text) FROM PUBLIC;
COMMENT ON FUNCTION mc.revoke_api_token(text) IS
  'Deletes the mc-gateway API token with this label; true when one existed. Owner/superuser only';

-- The gateway's lookup: the role a token maps to, or NULL (unknown token, dropped role, or a
-- role that has become a superuser). SECURITY DEFINER: the gateway never reads mc.api_token.
-- PL/pgSQL, not SQL: a SQL function with SET clauses is planned again on every call (about half
-- the cost of a gateway push, bench/README.md "Gateway"); PL/pgSQL keeps the plan per session.
CREATE OR REPLACE FUNCTION mc.api_token_role(token text) RETURNS name
LANGUAGE plpgsql STABLE STRICT SECURITY DEFINER
SET search_path = pg_catalog, mc, pg_temp
AS $$
DECLARE
  found name;
BEGIN
  SELECT r.rolname INTO found
  FROM mc.api_token t
  JOIN pg_catalog.pg_roles r ON r.rolname = t.role_name
  WHERE t.token_sha256 = sha256(convert_to($1, 'UTF8')) AND NOT r.rolsuper;
  RETURN found;
END
$$;
REVOKE ALL ON FUNCTION mc.api_token_role(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mc.api_token_role(text) TO mc_gateway;
COMMENT ON FUNCTION mc.api_token_role(text) IS
  'mc-gateway login: the role an API token maps to, or NULL (role mc_gateway only)';
-- One-click unsubscribe (RFC 8058). A link carries an event id and an HMAC-SHA256 of that id
-- and the address the message went to, keyed by mc.unsubscribe_key (owner only), so a link
-- can neither be forged nor enumerated. Token: '<event id>.<64 hex digits>'.

-- HMAC-SHA256 (RFC 2104) over PostgreSQL's built-in sha256(): the extension does not depend
-- on pgcrypto. Block size 64 bytes; longer keys are hashed first.
CREATE OR REPLACE FUNCTION mc._hmac_sha256(key bytea, message bytea) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  k bytea := $1;
  inner_pad bytea;
  outer_pad bytea;
BEGIN
  IF length(k) > 64 THEN
    k := sha256(k);
  END IF;
  k := k || decode(repeat('00', 64 - length(k)), 'hex');
  inner_pad := k;
  outer_pad := k;
  FOR i IN 0..63 LOOP
    inner_pad := set_byte(inner_pad, i, get_byte(k, i) # 54);  -- 0x36
    outer_pad := set_byte(outer_pad, i, get_byte(k, i) # 92);  -- 0x5c
  END LOOP;
  RETURN sha256(outer_pad || sha256(inner_pad || $2));
END
$$;
REVOKE ALL ON FUNCTION mc._hmac_sha256(bytea, bytea) FROM PUBLIC;
COMMENT ON FUNCTION mc._hmac_sha256(bytea, bytea) IS 'HMAC-SHA256 (RFC 2104); internal';

-- The token of a List-Unsubscribe URL for a message: the delivery code builds
-- 'https://gateway/u/' || mc.unsubscribe_token(event_id, address).
CREATE OR REPLACE FUNCTION mc.unsubscribe_token(event_id bigint, address text) RETURNS text
LANGUAGE sql STABLE STRICT SECURITY DEFINER
SET search_path = pg_catalog, mc, pg_temp
AS $$
  SELECT $1::text || '.' || encode(mc._hmac_sha256(k.key, convert_to($1::text || E'\n' || $2, 'UTF8')), 'hex')
  FROM mc.unsubscribe_key k
$$;
REVOKE ALL ON FUNCTION mc.unsubscribe_token(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mc.unsubscribe_token(bigint, text) TO mc_delivery_agent;
COMMENT ON FUNCTION mc.unsubscribe_token(bigint, text) IS
  'Token of a one-click unsubscribe link (RFC 8058) for a message: event id and HMAC of id and address';

-- Checks a token against the message's delivery-log row (its channel and the address it went
-- to) and quarantines that address for that channel with reason 'unsubscribed'. False for a
-- malformed or forged token, or a message with no delivery-log row (never sent, or purged).
CREATE OR REPLACE FUNCTION mc.unsubscribe(token text) RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, mc, pg_temp
AS $$
DECLARE
  parts text[];
  target_event bigint;
  log_channel mc.channel;
  log_address text;
BEGIN
  parts := regexp_match($1, '^([0-9]{1,19})\.([0-9a-f]{64})$');
  IF parts IS NULL OR parts[1]::numeric > 9223372036854775807 THEN
    RETURN false;
  END IF;
  target_event := parts[1]::bigint;
  SELECT l.channel, l.address INTO log_channel, log_address
    FROM mc.delivery_log l WHERE l.event_id = target_event;
  IF NOT FOUND OR mc.unsubscribe_token(target_event, log_address) <> $1 THEN
    RETURN false;
  END IF;
  INSERT INTO mc.quarantine AS q (channel, address, reason)
    VALUES (log_channel, log_address, 'unsubscribed')
    ON CONFLICT (channel, address) DO UPDATE SET reason = 'unsubscribed', updated_at = now();
  RETURN true;
END
$$;
REVOKE ALL ON FUNCTION mc.unsubscribe(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mc.unsubscribe(text) TO mc_gateway;
COMMENT ON FUNCTION mc.unsubscribe(text) IS
  'One-click unsubscribe (RFC 8058): checks the token, quarantines the address (reason unsubscribed)';

-- set_instance_id with the current id no longer restarts the sequence, and leaves the bounds
-- alone (a restored dump's value must fit them).
ALTER SEQUENCE mc.event_id_seq MINVALUE -9223372036854775808 MAXVALUE 9223372036854775807;
-- Sets this execution instance's id (0-255), which every new event id carries.
CREATE OR REPLACE FUNCTION mc.set_instance_id(id integer) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  new_id constant bigint := $1;  -- "id" is also a column name
  -- The high byte of a signed bigint: ids of instances >= 128 are negative, still unique.
  low bigint := new_id << 56;
  first bigint := CASE WHEN new_id = 0 THEN 1 ELSE low END;  -- instance 0 starts at 1
BEGIN
  IF new_id IS NULL OR new_id < 0 OR new_id > 255 THEN
    RAISE EXCEPTION 'instance id must be between 0 and 255, got %', new_id
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- Already this id: nothing to move (restarting the sequence would hand out used ids again).
  IF new_id = (SELECT s.instance_id FROM mc.settings s) THEN
    RETURN;
  END IF;
  IF EXISTS (SELECT FROM mc.rt_event e WHERE (e.id >> 56) & 255 <> new_id)
     OR EXISTS (SELECT FROM mc.batch_event e WHERE (e.id >> 56) & 255 <> new_id) THEN
    RAISE EXCEPTION 'cannot set instance id to %: the queues hold events of another instance id', new_id
      USING ERRCODE = 'object_in_use',
            HINT = 'Set the instance id before the first event, or purge the queues.';
  END IF;
  EXECUTE pg_catalog.format('ALTER SEQUENCE mc.event_id_seq START WITH %s RESTART WITH %s', first, first);
  UPDATE mc.settings SET instance_id = new_id;
END $$;
REVOKE ALL ON FUNCTION mc.set_instance_id(integer) FROM PUBLIC;
COMMENT ON FUNCTION mc.set_instance_id(integer) IS 'Sets the execution instance id carried in the high byte of every event id';

-- Pinned search paths (processing), qualified operators (procedures).
-- Takes due pending events of a queue and turns each into one rendered message. Returns the
-- number of events handled (routed, refused, retried or expired). The path is pinned: the
-- SQL they run must resolve to pg_catalog and mc whoever's session (and "$user" schema) runs
-- them under pg_cron.
CREATE OR REPLACE FUNCTION mc.rt_events_processing(max_events integer DEFAULT NULL) RETURNS bigint
  LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'mc_rt_events_processing';
CREATE OR REPLACE FUNCTION mc.batch_events_processing(max_events integer DEFAULT NULL) RETURNS bigint
  LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'mc_batch_events_processing';
REVOKE ALL ON FUNCTION mc.rt_events_processing(integer), mc.batch_events_processing(integer) FROM PUBLIC;
-- The rt job: keeps processing, committing every batch and polling every millisecond when idle,
-- until just after the next minute, when pg_cron starts the next run (pg_cron queues a run
-- whose previous one is still going, so the handover leaves no gap). Real-time latency is
-- milliseconds, not the minute of a cron line.
-- (No SET search_path clause: a procedure with one cannot COMMIT. Every name and operator is
-- qualified, so no schema on the caller's search path can capture one.)
CREATE OR REPLACE PROCEDURE mc.rt_events_loop(run_for interval DEFAULT NULL)
  LANGUAGE plpgsql AS $$
DECLARE
  stop_at constant timestamptz := coalesce(pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) run_for,
    pg_catalog.date_trunc('minute', pg_catalog.clock_timestamp()) OPERATOR(pg_catalog.+) interval '61 seconds');
  handled bigint;
BEGIN
  LOOP
    handled := mc.rt_events_processing();
    COMMIT;
    EXIT WHEN pg_catalog.clock_timestamp() OPERATOR(pg_catalog.>=) stop_at;
    IF handled OPERATOR(pg_catalog.=) 0 THEN
      PERFORM pg_catalog.pg_sleep(0.001);
    END IF;
  END LOOP;
END $$;
REVOKE ALL ON PROCEDURE mc.rt_events_loop(interval) FROM PUBLIC;
-- The batch job drains the queue until nothing is due. A call that found every work queue
-- with due events taken by other workers handles nothing: that is no reason to stop while
-- they still hold events, or a second worker quits as soon as it meets the first one's locks
-- and the backlog is drained by one.
-- (No SET clause: a procedure with one cannot COMMIT. Every name and operator is qualified.)
CREATE OR REPLACE PROCEDURE mc.batch_events_loop(run_for interval DEFAULT '55 seconds')
  LANGUAGE plpgsql AS $$
DECLARE
  stop_at constant timestamptz := pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) run_for;
BEGIN
  LOOP
    IF mc.batch_events_processing() OPERATOR(pg_catalog.=) 0 THEN
      EXIT WHEN NOT EXISTS (SELECT FROM mc.batch_event e WHERE e.processed_at IS NULL
        AND coalesce(e.process_requested_at, e.scheduled_at, e.created_at) OPERATOR(pg_catalog.<=) pg_catalog.now());
      COMMIT;
      PERFORM pg_catalog.pg_sleep(0.001);
    ELSE
      COMMIT;
    END IF;
    EXIT WHEN pg_catalog.clock_timestamp() OPERATOR(pg_catalog.>=) stop_at;
  END LOOP;
END $$;
REVOKE ALL ON PROCEDURE mc.batch_events_loop(interval) FROM PUBLIC;
-- mcCleanup: purges in short transactions (a batch each, committed), so no lock is held for
-- long and autovacuum can hand the space to new rows while the purge goes on. Stops when every
-- table's batch came back short: under steady intake there is always a little more, which the
-- next run (a minute later) takes.
-- (No SET clause: a procedure with one cannot COMMIT. Every name and operator is qualified.)
CREATE OR REPLACE PROCEDURE mc.cleanup(batch_rows integer DEFAULT 10000, run_for interval DEFAULT '5 minutes')
  LANGUAGE plpgsql AS $$
DECLARE
  stop_at constant timestamptz := pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) run_for;
  deleted bigint;  -- the most any table gave in the last batch
BEGIN
  LOOP
    SELECT pg_catalog.max(p.purged) INTO deleted FROM mc.purge_expired(batch_rows) p;
    COMMIT;
    EXIT WHEN deleted OPERATOR(pg_catalog.<) batch_rows
      OR pg_catalog.clock_timestamp() OPERATOR(pg_catalog.>=) stop_at;
  END LOOP;
END $$;
REVOKE ALL ON PROCEDURE mc.cleanup(integer, interval) FROM PUBLIC;
COMMENT ON PROCEDURE mc.cleanup(integer, interval) IS 'mcCleanup: purges past-retention rows in short batches';
-- What the mcSynch_<name> job runs: pending publications, then one archiving pass, each step
-- in its own transaction. A failed pass is recorded in mc.archive_state and raised again, so
-- that pg_cron's run history shows it too.
-- (No SET clause: a procedure with one cannot COMMIT. Every name and operator is qualified.)
CREATE OR REPLACE PROCEDURE mc.synchronize_instance(instance_name text)
  LANGUAGE plpgsql AS $$
DECLARE
  h timestamptz;
  failure text;
  failure_state text;
BEGIN
  PERFORM mc._execution_instance(instance_name);
  -- (retry_publications keeps an unreachable instance's publications pending itself.)
  PERFORM mc.retry_publications(instance_name);
  COMMIT;
  BEGIN
    h := mc.archive_horizon(instance_name);
  EXCEPTION WHEN OTHERS THEN
    failure := SQLERRM;
    failure_state := SQLSTATE;
  END;
  COMMIT;
  IF failure IS NULL THEN
    BEGIN
      PERFORM mc.archive_instance(instance_name, h);
    EXCEPTION WHEN OTHERS THEN
      failure := SQLERRM;
      failure_state := SQLSTATE;
    END;
  END IF;
  IF failure IS NOT NULL THEN
    -- A fresh transaction: when the instance died mid-pass, postgres_fdw refuses to commit the
    -- one that used its connection ("cannot be used due to abort cleanup failure").
    ROLLBACK;
    UPDATE mc.archive_state s SET last_error = failure, last_error_at = pg_catalog.now()
    WHERE s.instance_name OPERATOR(pg_catalog.=) synchronize_instance.instance_name;
    COMMIT;
    RAISE EXCEPTION 'archiving execution instance "%" failed: %', instance_name, failure
      USING ERRCODE = failure_state;
  END IF;
  COMMIT;
  BEGIN
    PERFORM mc._advance_archive_cursor(instance_name);
  EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'execution instance "%": archive cursor not advanced: %', instance_name, SQLERRM;
  END;
  COMMIT;
END $$;
REVOKE ALL ON PROCEDURE mc.synchronize_instance(text) FROM PUBLIC;

-- A registration's server, schema and foreign tables belong to the extension's owner.
-- Registers an execution instance: a postgres_fdw server from conninfo's host/port/dbname...,
-- a user mapping with its credentials (for the caller and for the extension owner, who runs
-- publication), and a schema mc_exec_<name> of foreign tables onto the instance's mc schema.
-- Checks that the instance answers, runs message_center and carries instance_id. All or
-- nothing: any refusal leaves no server, mapping or schema behind. The server, the schema and
-- its foreign tables then belong to the extension's owner, not to the caller: publication and
-- archiving (SECURITY DEFINER) write through them, and an owner could otherwise change what
-- they write to (ALTER FOREIGN TABLE ... OPTIONS, a trigger) and have the owner's code run it.
CREATE OR REPLACE FUNCTION mc.register_execution_instance(name text, instance_id integer, conninfo text)
  RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  instance_name constant text := $1;
  wanted_id constant integer := $2;
  server constant text := 'mc_exec_' || $1;
  foreign_schema constant text := 'mc_exec_' || $1;
  server_options text;
  mapping_options text;
  mapped_user text;
  remote_id integer;
  remote_identity text;
  reason text;
  owner_name name;
  foreign_table name;
BEGIN
  IF instance_name IS NULL OR instance_name !~ '^[a-z][a-z0-9_]{0,39}$' THEN
    RAISE EXCEPTION 'name must be 1 to 40 lower-case letters, digits or _, starting with a letter, not "%"', instance_name
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF wanted_id IS NULL OR wanted_id NOT BETWEEN 0 AND 255 THEN
    RAISE EXCEPTION 'instance_id must be between 0 and 255, got %', wanted_id
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF conninfo IS NULL THEN
    RAISE EXCEPTION 'conninfo must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'postgres_fdw') THEN
    RAISE EXCEPTION 'postgres_fdw is not installed in database "%"', current_database()
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Run CREATE EXTENSION postgres_fdw on the control instance.';
  END IF;
  IF EXISTS (SELECT FROM mc.execution_instance i WHERE i.name = instance_name) THEN
    RAISE EXCEPTION 'execution instance "%" is already registered', instance_name
      USING ERRCODE = 'duplicate_object';
  END IF;
  IF EXISTS (SELECT FROM mc.execution_instance i WHERE i.instance_id = wanted_id) THEN
    RAISE EXCEPTION 'instance_id % is already used by execution instance "%"', wanted_id,
      (SELECT i.name FROM mc.execution_instance i WHERE i.instance_id = wanted_id)
      USING ERRCODE = 'unique_violation';
  END IF;

  -- Defaults a remote archive wants, unless conninfo says otherwise: a bounded wait on a dead
  -- instance, large fetches, and a name in the instance's pg_stat_activity.
  WITH given AS (SELECT * FROM mc._conninfo_options(conninfo))
  SELECT string_agg(format('%I %L', o.keyword, o.value), ', ') FILTER (WHERE NOT o.user_mapping),
         string_agg(format('%I %L', o.keyword, o.value), ', ') FILTER (WHERE o.user_mapping)
  INTO server_options, mapping_options
  FROM (SELECT g.keyword, g.value, g.user_mapping FROM given g
        UNION ALL
        SELECT d.keyword, d.value, false FROM (VALUES ('connect_timeout', '10'), ('fetch_size', '10000'),
                                                      ('application_name', 'message_center control'))
                                              AS d (keyword, value)
        WHERE NOT EXISTS (SELECT FROM given g WHERE g.keyword = d.keyword)) o;

  EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER postgres_fdw%s', server,
                 coalesce(' OPTIONS (' || server_options || ')', ''));
  FOR mapped_user IN
    SELECT DISTINCT u FROM (VALUES (current_user::text),
      ((SELECT r.rolname::text FROM pg_extension x JOIN pg_roles r ON r.oid = x.extowner
        WHERE x.extname = 'message_center'))) AS m (u)
  LOOP
    EXECUTE format('CREATE USER MAPPING FOR %I SERVER %I%s', mapped_user, server,
                   coalesce(' OPTIONS (' || mapping_options || ')', ''));
  END LOOP;
  EXECUTE format('CREATE SCHEMA %I', foreign_schema);
  EXECUTE format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', foreign_schema);

  BEGIN
    EXECUTE format($q$IMPORT FOREIGN SCHEMA mc LIMIT TO (settings, quarantine, archive_cursor,
        archive_horizon, archive_event_feed, archive_log_feed, publication_inbox)
      FROM SERVER %I INTO %I$q$, server, foreign_schema);
    EXECUTE format('SELECT instance_id FROM %I.settings', foreign_schema) INTO remote_id;
    EXECUTE format('SELECT database_identity FROM %I.archive_horizon', foreign_schema) INTO remote_identity;
  EXCEPTION WHEN fdw_schema_not_found THEN
    RAISE EXCEPTION 'execution instance "%" does not run message_center (no schema mc there)', instance_name
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Run CREATE EXTENSION message_center on it.';
  WHEN sqlclient_unable_to_establish_sqlconnection OR connection_exception
                 OR connection_failure OR invalid_authorization_specification
                 OR invalid_password OR fdw_unable_to_establish_connection THEN
    GET STACKED DIAGNOSTICS reason = PG_EXCEPTION_DETAIL;
    RAISE EXCEPTION 'cannot connect to execution instance "%": %', instance_name,
      coalesce(nullif(reason, ''), SQLERRM)
      USING ERRCODE = 'sqlclient_unable_to_establish_sqlconnection',
            HINT = 'Check conninfo (host, port, dbname, user, password) and that the instance is up.';
  END;
  -- IMPORT creates only what exists: a missing table means no (or an old) message_center.
  IF (SELECT count(*) FROM pg_class c WHERE c.relnamespace = foreign_schema::regnamespace) < 7 THEN
    RAISE EXCEPTION 'execution instance "%" does not run message_center 0.2.0 or later', instance_name
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Run CREATE EXTENSION message_center (or ALTER EXTENSION message_center UPDATE) on it.';
  END IF;
  IF remote_id IS DISTINCT FROM wanted_id THEN
    RAISE EXCEPTION 'instance_id % does not match execution instance "%", whose instance id is %',
      wanted_id, instance_name, remote_id
      USING ERRCODE = 'invalid_parameter_value',
            HINT = format('Run SELECT mc.set_instance_id(%s) on the execution instance, or register it with instance_id %s.',
                          wanted_id, remote_id);
  END IF;

  SELECT r.rolname INTO owner_name FROM pg_extension x JOIN pg_roles r ON r.oid = x.extowner
  WHERE x.extname = 'message_center';
  EXECUTE format('ALTER SERVER %I OWNER TO %I', server, owner_name);
  EXECUTE format('ALTER SCHEMA %I OWNER TO %I', foreign_schema, owner_name);
  FOR foreign_table IN SELECT c.relname FROM pg_class c WHERE c.relnamespace = foreign_schema::regnamespace LOOP
    EXECUTE format('ALTER FOREIGN TABLE %I.%I OWNER TO %I', foreign_schema, foreign_table, owner_name);
  END LOOP;

  INSERT INTO mc.execution_instance (name, instance_id, server_name, foreign_schema, is_local)
  VALUES (instance_name, wanted_id, server, foreign_schema, remote_identity = mc._database_identity());
  INSERT INTO mc.archive_state (instance_name) VALUES (instance_name);
  -- A new instance gets every template published so far.
  INSERT INTO mc.instance_publication (instance_name, template_name)
  SELECT instance_name, t.name FROM mc.template t
  WHERE EXISTS (SELECT FROM mc.published_template p WHERE p.template_id = t.id)
    AND remote_identity IS DISTINCT FROM mc._database_identity();
  PERFORM mc.retry_publications(instance_name);
END $$;
REVOKE ALL ON FUNCTION mc.register_execution_instance(text, integer, text) FROM PUBLIC;
COMMENT ON FUNCTION mc.register_execution_instance(text, integer, text) IS 'Registers an execution instance reached through postgres_fdw; checks its instance id';

-- The archive horizon, correct for any login.
-- Where a reader may safely resume (mc.archive_horizon): no transaction still running in this
-- database began before it, so no row it has not seen can carry an earlier timestamp (every
-- writer stamps rows with its transaction's start time or later). SECURITY DEFINER, owned by
-- the extension's owner: pg_stat_activity shows other roles' xact_start only to a superuser
-- (or pg_read_all_stats), and the control instance connects as a plain mc_control_agent
-- login; read as that login, the horizon would be "now" while another role's transaction is
-- still open, and rows it commits later would never be archived. Every backend type counts
-- (client backends, pg_cron's and the extension's background workers), except autovacuum,
-- which writes no row of ours. A prepared transaction's start is unknown (only when it was
-- prepared): while one is pending here the horizon is -infinity, so archiving keeps its
-- watermark (it still copies rows, idempotently) until the transaction is resolved.
CREATE OR REPLACE FUNCTION mc._local_archive_horizon() RETURNS timestamptz
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE
    WHEN EXISTS (SELECT FROM pg_prepared_xacts p WHERE p.database = current_database())
      THEN '-infinity'::timestamptz
    ELSE LEAST(clock_timestamp(),
               (SELECT min(a.xact_start) FROM pg_stat_activity a
                WHERE a.pid <> pg_backend_pid() AND a.datname = current_database()
                  AND a.backend_type <> 'autovacuum worker'))
  END
$$;
REVOKE ALL ON FUNCTION mc._local_archive_horizon() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mc._local_archive_horizon() TO mc_control_agent;
-- The safe resume point of this instance for incremental readers (mc._local_archive_horizon),
-- and which database this is. Read through postgres_fdw by archiving, in a transaction of its own.
CREATE OR REPLACE VIEW mc.archive_horizon AS
  SELECT mc._local_archive_horizon() AS horizon, mc._database_identity() AS database_identity;
COMMENT ON VIEW mc.archive_horizon IS 'Safe resume point for incremental readers of this instance';
GRANT SELECT ON mc.archive_horizon TO mc_control_agent;

-- Issue 12: the extension sends the messages itself (providers, routes, sender workers).
ALTER TABLE mc.settings
  ADD COLUMN sender_workers integer NOT NULL DEFAULT 1 CHECK (sender_workers BETWEEN 0 AND 64),
  ADD COLUMN message_validity interval NOT NULL DEFAULT '2 days' CHECK (message_validity > '0');
-- Delivery providers (spec section 8): where the sender workers send a channel's messages.
-- Options were validated by the delivery core (mc._check_provider) when written.
CREATE TABLE mc.provider (
  name text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_.-]{1,63}$'),
  channel mc.channel NOT NULL,
  kind text NOT NULL CHECK (kind IN ('smtp', 'http')),
  url text,
  options jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Bumped by every change, secrets included: the workers reload a provider when it moves.
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
COMMENT ON TABLE mc.provider IS 'Delivery providers (SMTP relays, HTTP APIs, webhooks); change with mc.create_provider / mc.alter_provider / mc.drop_provider';
GRANT SELECT ON mc.provider TO mc_status_reader;
SELECT pg_catalog.pg_extension_config_dump('mc.provider', '');

-- Provider secrets (SMTP password, HTTP {{secret}}, webhook HMAC key; '<name>:dkim' the DKIM
-- private key). Write-only through mc.set_provider_secret: no role but the owner reads this
-- table, no view shows it, no error or log line quotes it.
CREATE TABLE mc.provider_secret (
  name text PRIMARY KEY,
  provider text NOT NULL REFERENCES mc.provider (name) ON DELETE CASCADE,
  secret text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
REVOKE ALL ON mc.provider_secret FROM PUBLIC;
COMMENT ON TABLE mc.provider_secret IS 'Provider secrets, write-only (mc.set_provider_secret); readable by the owner alone';
SELECT pg_catalog.pg_extension_config_dump('mc.provider_secret', '');
-- Which provider sends a channel's messages (mc.route_channel). A channel without a route is
-- left to an external sender (mc.claim_messages / mc.report_delivery).
CREATE TABLE mc.channel_route (
  channel mc.channel PRIMARY KEY,
  provider text NOT NULL REFERENCES mc.provider (name),
  routed_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE mc.channel_route IS 'Channel to provider routes of the sender workers (mc.route_channel)';
GRANT SELECT ON mc.channel_route TO mc_status_reader;
SELECT pg_catalog.pg_extension_config_dump('mc.channel_route', '');
-- The sender workers wanted (one row per slot, 1..mc.settings.sender_workers) and the process
-- running each. A worker whose row is gone exits 0 (for good); one that finds another live
-- process on its slot exits 0 too. run_token is the lease token of everything the slot's
-- current run claimed: a new run releases the leases of the run before it (a killed worker's
-- messages are sent again at once, not after the lease). Processing's commit wakes the pids
-- listed here (SetLatch).
CREATE TABLE mc.sender_worker (
  slot integer PRIMARY KEY CHECK (slot BETWEEN 1 AND 64),
  pid integer,
  run_token uuid,
  started_at timestamptz,
  heartbeat_at timestamptz
);
COMMENT ON TABLE mc.sender_worker IS 'Sender worker slots and their processes (mc.start_workflows / mc.stop_workflows)';
-- What the sender workers saw per provider: outcomes per minute (mc.provider_status sums the
-- last hour; mc.cleanup-style purge by the workers themselves) and the last error.
CREATE TABLE mc.provider_counter (
  provider text NOT NULL,
  minute timestamptz NOT NULL,
  sent bigint NOT NULL DEFAULT 0,
  deferred bigint NOT NULL DEFAULT 0,
  failed bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (provider, minute)
);
COMMENT ON TABLE mc.provider_counter IS 'Delivery outcomes per provider and minute (sender workers)';
CREATE TABLE mc.provider_error (
  provider text PRIMARY KEY,
  last_error text,
  last_error_at timestamptz,
  last_sent_at timestamptz
);
COMMENT ON TABLE mc.provider_error IS 'Last error and last success per provider (sender workers)';
-- The sender workers (spec section 8; src/sender/): dynamic background workers of type
-- 'mc sender', one per slot of mc.sender_worker, started by mc.start_workflows (and again every
-- minute by its mcSenders job), stopped for good by mc.stop_workflows. Internal functions:
-- nothing here is granted to any role.

-- Registers the background worker of a slot; its pid, or NULL (and a WARNING) when no
-- background-worker slot is free (max_worker_processes).
CREATE OR REPLACE FUNCTION mc._launch_sender(slot integer) RETURNS integer
  LANGUAGE c STRICT AS 'MODULE_PATHNAME', 'mc_launch_sender';
REVOKE ALL ON FUNCTION mc._launch_sender(integer) FROM PUBLIC;

-- Sets the latch of every sender worker when the calling transaction commits.
CREATE OR REPLACE FUNCTION mc._wake_senders() RETURNS void
  LANGUAGE c AS 'MODULE_PATHNAME', 'mc_wake_senders';
REVOKE ALL ON FUNCTION mc._wake_senders() FROM PUBLIC;

-- The pids to wake (read by the wake-up trigger as whoever inserts delivery-log rows).
CREATE OR REPLACE FUNCTION mc._sender_pids() RETURNS integer[]
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT coalesce(array_agg(w.pid), '{}') FROM mc.sender_worker w WHERE w.pid IS NOT NULL
$$;
REVOKE ALL ON FUNCTION mc._sender_pids() FROM PUBLIC;

-- Statement trigger on mc.delivery_log: new messages wake the workers at commit.
CREATE OR REPLACE FUNCTION mc._sender_wake_trigger() RETURNS trigger
  LANGUAGE c AS 'MODULE_PATHNAME', 'mc_sender_wake_trigger';
REVOKE ALL ON FUNCTION mc._sender_wake_trigger() FROM PUBLIC;

-- The wanted slots (1..mc.settings.sender_workers) each get a live worker; slots beyond it are
-- removed (their workers exit). Returns how many workers it launched.
CREATE OR REPLACE FUNCTION mc._ensure_senders() RETURNS integer
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  wanted integer := (SELECT s.sender_workers FROM mc.settings s);
  w mc.sender_worker;
  new_pid integer;
  launched integer := 0;
BEGIN
  PERFORM mc._wake_senders();
  DELETE FROM mc.sender_worker x WHERE x.slot > wanted;
  INSERT INTO mc.sender_worker (slot) SELECT g FROM generate_series(1, wanted) g ON CONFLICT DO NOTHING;
  FOR w IN SELECT * FROM mc.sender_worker x
           WHERE x.pid IS NULL OR NOT EXISTS (SELECT FROM pg_stat_activity a
                                              WHERE a.pid = x.pid AND a.backend_type = 'mc sender')
           ORDER BY x.slot FOR UPDATE
  LOOP
    new_pid := mc._launch_sender(w.slot);
    IF new_pid IS NOT NULL THEN
      UPDATE mc.sender_worker x SET pid = new_pid, started_at = now() WHERE x.slot = w.slot;
      launched := launched + 1;
    END IF;
  END LOOP;
  RETURN launched;
END $$;
REVOKE ALL ON FUNCTION mc._ensure_senders() FROM PUBLIC;

-- Removes every slot: the workers see it at their next wake-up (at commit) and exit 0.
CREATE OR REPLACE FUNCTION mc._stop_senders() RETURNS integer
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  n integer;
BEGIN
  PERFORM mc._wake_senders();
  DELETE FROM mc.sender_worker;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;
REVOKE ALL ON FUNCTION mc._stop_senders() FROM PUBLIC;

-- A worker starting on its slot: NULL when the slot is gone or another live worker holds it
-- (the caller exits 0); else its new run token, after releasing the leases of the slot's
-- previous run (that process is dead: its messages are claimable again at once).
CREATE OR REPLACE FUNCTION mc._sender_attach(slot integer, pid integer) RETURNS uuid
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  w mc.sender_worker;
  token uuid := gen_random_uuid();
BEGIN
  SELECT * INTO w FROM mc.sender_worker x WHERE x.slot = $1 FOR UPDATE;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF w.pid IS NOT NULL AND w.pid <> $2 AND EXISTS (SELECT FROM pg_stat_activity a
      WHERE a.pid = w.pid AND a.backend_type = 'mc sender') THEN
    RETURN NULL;
  END IF;
  IF w.run_token IS NOT NULL THEN
    UPDATE mc.delivery_log d SET lease_until = NULL, lease_token = NULL
    WHERE d.lease_token = w.run_token AND d.status = 'pending';
  END IF;
  UPDATE mc.sender_worker x SET pid = $2, run_token = token, started_at = now(), heartbeat_at = now()
  WHERE x.slot = $1;
  RETURN token;
END $$;
REVOKE ALL ON FUNCTION mc._sender_attach(integer, integer) FROM PUBLIC;

-- Claims up to limits[i] pending messages of each channels[i] (routed channels), rt ones first,
-- under the run's token (a lease of 10 minutes: a killed worker's successor releases it at
-- once). NULL when the slot is no longer this run's (the worker exits 0). Messages are never
-- sent inside this transaction: the worker commits, sends, then records the outcomes.
CREATE OR REPLACE FUNCTION mc._sender_claim(slot integer, token uuid, channels text[], limits integer[])
  RETURNS jsonb
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  s mc.settings;
  now_ timestamptz := clock_timestamp();
  result jsonb := '[]';
  part jsonb;
BEGIN
  IF NOT EXISTS (SELECT FROM mc.sender_worker x WHERE x.slot = $1 AND x.run_token = $2) THEN
    RETURN NULL;
  END IF;
  UPDATE mc.sender_worker x SET heartbeat_at = now_
  WHERE x.slot = $1 AND x.heartbeat_at < now_ - interval '10 seconds';
  SELECT * INTO s FROM mc.settings;
  FOR i IN 1 .. coalesce(array_length($3, 1), 0) LOOP
    CONTINUE WHEN $4[i] < 1;
    -- Messages whose worker died on them max_delivery_attempts times fail.
    WITH exhausted AS (
      SELECT d.event_id FROM mc.delivery_log d
      WHERE d.status = 'pending' AND d.channel = $3[i]::mc.channel
        AND d.attempts >= s.max_delivery_attempts AND (d.lease_until IS NULL OR d.lease_until < now_)
      FOR UPDATE SKIP LOCKED)
    UPDATE mc.delivery_log d
    SET status = 'failed', failure_reason = format('no outcome after %s delivery attempts', d.attempts),
        lease_until = NULL, lease_token = NULL, last_modified_at = now_
    FROM exhausted x WHERE d.event_id = x.event_id;
    WITH claimable AS (
      SELECT d.event_id FROM mc.delivery_log d
      WHERE d.status = 'pending' AND d.channel = $3[i]::mc.channel
        AND (d.lease_until IS NULL OR d.lease_until < now_)
      ORDER BY d.queue DESC, d.event_id LIMIT $4[i]
      FOR UPDATE SKIP LOCKED),
    claimed AS (
      UPDATE mc.delivery_log d
      SET lease_until = now_ + interval '10 minutes', attempts = d.attempts + 1, lease_token = $2
      FROM claimable c WHERE d.event_id = c.event_id
      RETURNING d.*)
    SELECT coalesce(jsonb_agg(jsonb_build_object(
             'event_id', c.event_id, 'channel', c.channel, 'queue', c.queue, 'address', c.address,
             'sender', c.sender, 'subject', c.subject, 'body_html', c.body_html,
             'body_text', c.body_text, 'push_data', c.push_data, 'webhook_url', c.webhook_url,
             'attempts', c.attempts, 'max_attempts', s.max_delivery_attempts,
             'valid_until', extract(epoch FROM coalesce(e.expires_at, c.created_at + s.message_validity)),
             'external_id', e.external_id, 'type', e.event_type, 'language', e.language,
             'country', e.country)), '[]')
    INTO part
    FROM claimed c
    LEFT JOIN mc.event e ON e.id = c.event_id AND e.queue = c.queue;
    result := result || part;
  END LOOP;
  RETURN result;
END $$;
REVOKE ALL ON FUNCTION mc._sender_claim(integer, uuid, text[], integer[]) FROM PUBLIC;

-- Records a batch of outcomes of the run `token`: sent / failed (final), deferred (pending
-- again from retry_at). Only messages this run still holds are touched: an outcome is recorded
-- once (a stale run's report changes nothing). Quarantines the addresses the outcome says to,
-- counts per provider. Returns the messages recorded.
CREATE OR REPLACE FUNCTION mc._sender_record(token uuid, outcomes jsonb) RETURNS integer
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  now_ timestamptz := clock_timestamp();
  n integer;
BEGIN
  WITH o AS (
    SELECT * FROM jsonb_to_recordset($2) AS x (event_id bigint, status text, reason text,
      message_id text, retry_at double precision, quarantine text, provider text)),
  u AS (
    UPDATE mc.delivery_log d
    SET status = (CASE WHEN o.status = 'deferred' THEN 'pending' ELSE o.status END)::mc.delivery_status,
        failure_reason = o.reason, message_id = coalesce(o.message_id, d.message_id),
        lease_until = CASE WHEN o.status = 'deferred' THEN to_timestamp(o.retry_at) END,
        lease_token = NULL, last_modified_at = now_
    FROM o WHERE d.event_id = o.event_id AND d.lease_token = $1 AND d.status = 'pending'
    RETURNING d.event_id, d.channel, d.address, o.status, o.reason, o.quarantine, o.provider),
  q AS (
    INSERT INTO mc.quarantine AS t (channel, address, reason)
    SELECT DISTINCT ON (u.channel, u.address) u.channel, u.address, u.quarantine FROM u
    WHERE u.quarantine IS NOT NULL
    ON CONFLICT (channel, address) DO UPDATE
      SET error_count = t.error_count + 1, updated_at = now_, reason = excluded.reason),
  c AS (
    INSERT INTO mc.provider_counter AS t (provider, minute, sent, deferred, failed)
    SELECT u.provider, date_trunc('minute', now_), count(*) FILTER (WHERE u.status = 'sent'),
           count(*) FILTER (WHERE u.status = 'deferred'), count(*) FILTER (WHERE u.status = 'failed')
    FROM u WHERE u.provider IS NOT NULL GROUP BY u.provider
    ON CONFLICT (provider, minute) DO UPDATE
      SET sent = t.sent + excluded.sent, deferred = t.deferred + excluded.deferred,
          failed = t.failed + excluded.failed),
  e AS (
    INSERT INTO mc.provider_error AS t (provider, last_error, last_error_at, last_sent_at)
    SELECT u.provider, (array_agg(u.reason) FILTER (WHERE u.status <> 'sent'))[1],
           CASE WHEN bool_or(u.status <> 'sent') THEN now_ END,
           CASE WHEN bool_or(u.status = 'sent') THEN now_ END
    FROM u WHERE u.provider IS NOT NULL GROUP BY u.provider
    ON CONFLICT (provider) DO UPDATE
      SET last_error = coalesce(excluded.last_error, t.last_error),
          last_error_at = greatest(t.last_error_at, excluded.last_error_at),
          last_sent_at = coalesce(excluded.last_sent_at, t.last_sent_at))
  SELECT count(*) INTO n FROM u;
  DELETE FROM mc.provider_counter x WHERE x.minute < now_ - interval '2 hours';
  RETURN n;
END $$;
REVOKE ALL ON FUNCTION mc._sender_record(uuid, jsonb) FROM PUBLIC;

-- The routed providers with their secrets, for the workers only; NULL while the signature
-- (routes, provider definitions and secrets) is still `known`.
CREATE OR REPLACE FUNCTION mc._sender_config(known text) RETURNS jsonb
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  sig text;
BEGIN
  SELECT md5(coalesce(string_agg(r.channel::text || '=' || p.name || '@' || p.updated_at::text, ','
                                 ORDER BY r.channel), ''))
  INTO sig FROM mc.channel_route r JOIN mc.provider p ON p.name = r.provider;
  IF sig = $1 THEN
    RETURN NULL;
  END IF;
  RETURN jsonb_build_object('signature', sig, 'providers', coalesce((
    SELECT jsonb_agg(jsonb_build_object('name', p.name, 'channel', p.channel, 'kind', p.kind, 'url', p.url,
                                        'options', p.options, 'secret', s.secret, 'dkim_key', k.secret))
    FROM mc.channel_route r JOIN mc.provider p ON p.name = r.provider
    LEFT JOIN mc.provider_secret s ON s.name = p.name
    LEFT JOIN mc.provider_secret k ON k.name = p.name || ':dkim'), '[]'));
END $$;
REVOKE ALL ON FUNCTION mc._sender_config(text) FROM PUBLIC;

-- A worker leaving (stopped, or its slot taken): its messages are claimable again at once.
CREATE OR REPLACE FUNCTION mc._sender_release(token uuid) RETURNS integer
  LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
  WITH r AS (UPDATE mc.delivery_log d SET lease_until = NULL, lease_token = NULL
             WHERE d.lease_token = $1 AND d.status = 'pending' RETURNING 1)
  SELECT count(*)::integer FROM r
$$;
REVOKE ALL ON FUNCTION mc._sender_release(uuid) FROM PUBLIC;
ALTER TABLE mc.delivery_log ADD COLUMN message_id text;
CREATE INDEX delivery_log_message_id ON mc.delivery_log (message_id) WHERE message_id IS NOT NULL;
CREATE TRIGGER delivery_log_wake_senders AFTER INSERT ON mc.delivery_log
  FOR EACH STATEMENT EXECUTE FUNCTION mc._sender_wake_trigger();
-- Delivery providers and routes (spec section 8). Only the extension's owner manages them (the
-- secrets they hold are the owner's business); mc.provider_status shows them to status readers.

-- The delivery core's validation (src/delivery/provider_config.hpp): 22023 naming the field.
CREATE OR REPLACE FUNCTION mc._check_provider(name text, channel text, kind text, url text, options jsonb)
  RETURNS void LANGUAGE c AS 'MODULE_PATHNAME', 'mc_check_provider';
REVOKE ALL ON FUNCTION mc._check_provider(text, text, text, text, jsonb) FROM PUBLIC;

-- The secrets a provider needs before it may be routed: the SMTP password (options.username),
-- the webhook HMAC key, the {{secret}} of HTTP headers, the DKIM key (options.dkim_domain).
-- Raises 22023 naming what is missing; never shows a secret.
CREATE OR REPLACE FUNCTION mc._require_provider_secrets(provider text) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  p mc.provider;
BEGIN
  SELECT * INTO p FROM mc.provider WHERE name = $1;
  IF NOT EXISTS (SELECT FROM mc.provider_secret s WHERE s.name = p.name) THEN
    IF p.options ? 'username' THEN
      RAISE EXCEPTION 'provider "%": secret: required by options.username (the SMTP password); set it with mc.set_provider_secret', p.name
        USING ERRCODE = 'invalid_parameter_value';
    ELSIF p.channel = 'webhook' THEN
      RAISE EXCEPTION 'provider "%": secret: required by channel webhook (the HMAC key of X-MC-Signature); set it with mc.set_provider_secret', p.name
        USING ERRCODE = 'invalid_parameter_value';
    ELSIF coalesce(p.options->'headers', '{}')::text ~ '\{\{\s*secret\s*\}\}' THEN
      RAISE EXCEPTION 'provider "%": secret: required by options.headers ({{secret}}); set it with mc.set_provider_secret', p.name
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
  END IF;
  IF p.options ? 'dkim_domain' AND NOT EXISTS (SELECT FROM mc.provider_secret s WHERE s.name = p.name || ':dkim') THEN
    RAISE EXCEPTION 'provider "%": secret: required by options.dkim_domain (the DKIM private key); set it with mc.set_provider_secret(''%:dkim'', pem)', p.name, p.name
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
END $$;
REVOKE ALL ON FUNCTION mc._require_provider_secrets(text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION mc.create_provider(name text, channel text, kind text, url text,
                                   options jsonb DEFAULT '{}')
  RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF $1 IS NULL OR $1 !~ '^[A-Za-z0-9_.-]{1,63}$' THEN
    RAISE EXCEPTION 'name: a provider name is 1 to 63 letters, digits, "_", "." or "-"'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM mc._check_provider($1, $2, $3, $4, coalesce($5, '{}'));
  INSERT INTO mc.provider (name, channel, kind, url, options)
  VALUES ($1, $2::mc.channel, $3, nullif($4, ''), coalesce($5, '{}'));
EXCEPTION WHEN unique_violation THEN
  RAISE EXCEPTION 'provider "%" exists already', $1 USING ERRCODE = 'duplicate_object';
END $$;
COMMENT ON FUNCTION mc.create_provider(text, text, text, text, jsonb) IS 'Creates a delivery provider (options validated: 22023 naming the field)';
REVOKE ALL ON FUNCTION mc.create_provider(text, text, text, text, jsonb) FROM PUBLIC;

-- NULL url / options: unchanged. Options replace the old ones as a whole.
CREATE OR REPLACE FUNCTION mc.alter_provider(name text, url text DEFAULT NULL, options jsonb DEFAULT NULL)
  RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  p mc.provider;
BEGIN
  SELECT * INTO p FROM mc.provider WHERE provider.name = $1 FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'provider "%" does not exist', $1 USING ERRCODE = 'undefined_object';
  END IF;
  PERFORM mc._check_provider(p.name, p.channel::text, p.kind, coalesce($2, p.url), coalesce($3, p.options));
  UPDATE mc.provider SET url = nullif(coalesce($2, provider.url), ''), options = coalesce($3, provider.options),
    updated_at = clock_timestamp()
  WHERE provider.name = $1;
  IF EXISTS (SELECT FROM mc.channel_route r WHERE r.provider = $1) THEN
    PERFORM mc._require_provider_secrets($1);
  END IF;
  PERFORM mc._wake_senders();
END $$;
COMMENT ON FUNCTION mc.alter_provider(text, text, jsonb) IS 'Changes a provider''s url and/or options (validated)';
REVOKE ALL ON FUNCTION mc.alter_provider(text, text, jsonb) FROM PUBLIC;

CREATE OR REPLACE FUNCTION mc.drop_provider(name text) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF EXISTS (SELECT FROM mc.channel_route r WHERE r.provider = $1) THEN
    RAISE EXCEPTION 'provider "%" is routed: route its channel elsewhere first (mc.route_channel)', $1
      USING ERRCODE = 'dependent_objects_still_exist';
  END IF;
  DELETE FROM mc.provider WHERE provider.name = $1;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'provider "%" does not exist', $1 USING ERRCODE = 'undefined_object';
  END IF;
  DELETE FROM mc.provider_counter c WHERE c.provider = $1;
  DELETE FROM mc.provider_error e WHERE e.provider = $1;
END $$;
COMMENT ON FUNCTION mc.drop_provider(text) IS 'Drops a provider that no channel is routed to, with its secrets';
REVOKE ALL ON FUNCTION mc.drop_provider(text) FROM PUBLIC;

-- Write-only: '<provider>' (SMTP password, HTTP {{secret}}, webhook HMAC key) or
-- '<provider>:dkim' (PEM private key). NULL removes it. Never echoed anywhere.
CREATE OR REPLACE FUNCTION mc.set_provider_secret(name text, secret text) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  base text := regexp_replace($1, ':dkim$', '');
BEGIN
  IF NOT EXISTS (SELECT FROM mc.provider p WHERE p.name = base) THEN
    RAISE EXCEPTION 'provider "%" does not exist', base USING ERRCODE = 'undefined_object';
  END IF;
  IF $2 IS NULL THEN
    DELETE FROM mc.provider_secret s WHERE s.name = $1;
  ELSIF $2 = '' THEN
    RAISE EXCEPTION 'secret: must not be empty' USING ERRCODE = 'invalid_parameter_value';
  ELSIF $1 LIKE '%:dkim' AND $2 !~ '-----BEGIN [A-Z ]*PRIVATE KEY-----' THEN
    RAISE EXCEPTION 'secret: a DKIM key must be a PEM private key' USING ERRCODE = 'invalid_parameter_value';
  ELSE
    INSERT INTO mc.provider_secret AS s (name, provider, secret) VALUES ($1, base, $2)
    ON CONFLICT ON CONSTRAINT provider_secret_pkey DO UPDATE SET secret = excluded.secret, updated_at = clock_timestamp();
  END IF;
  UPDATE mc.provider p SET updated_at = clock_timestamp() WHERE p.name = base;
  PERFORM mc._wake_senders();
END $$;
COMMENT ON FUNCTION mc.set_provider_secret(text, text) IS 'Sets (NULL: removes) a provider secret; write-only';
REVOKE ALL ON FUNCTION mc.set_provider_secret(text, text) FROM PUBLIC;

-- NULL provider: the channel goes back to external senders (mc.claim_messages).
CREATE OR REPLACE FUNCTION mc.route_channel(channel text, provider text) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  p mc.provider;
BEGIN
  IF $1 IS NULL OR $1 NOT IN ('email', 'sms', 'push_ios', 'push_android', 'webhook') THEN
    RAISE EXCEPTION 'channel must be one of email, sms, push_ios, push_android, webhook, not "%"', $1
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF $2 IS NULL THEN
    DELETE FROM mc.channel_route r WHERE r.channel = $1::mc.channel;
    RETURN;
  END IF;
  SELECT * INTO p FROM mc.provider x WHERE x.name = $2;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'provider "%" does not exist', $2 USING ERRCODE = 'undefined_object';
  END IF;
  IF p.channel <> $1::mc.channel THEN
    RAISE EXCEPTION 'provider "%" serves channel %, not %', $2, p.channel, $1
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM mc._require_provider_secrets($2);
  INSERT INTO mc.channel_route AS r (channel, provider) VALUES ($1::mc.channel, $2)
  ON CONFLICT ON CONSTRAINT channel_route_pkey DO UPDATE SET provider = excluded.provider, routed_at = now();
  PERFORM mc._wake_senders();
END $$;
COMMENT ON FUNCTION mc.route_channel(text, text) IS 'Routes a channel to a provider (sent by the sender workers); NULL: external sender';
REVOKE ALL ON FUNCTION mc.route_channel(text, text) FROM PUBLIC;
-- Bounces (spec section 8): a DSN or any bounce as received, parsed by the delivery core
-- (src/delivery/bounce_parser.hpp, mc._parse_bounce). Matched to a message by the Message-ID
-- recorded on the delivery log, else the returned X-MC-Event-Id, else the failed recipient's
-- latest message of the last 30 days. A failure (even after 'sent': a late bounce) fails the
-- message, which the status copy turns into delivery_failed; a permanent address failure
-- quarantines the address. Returns the event id matched, or NULL (no failure found, an
-- automatic reply, nothing matched).
CREATE OR REPLACE FUNCTION mc._parse_bounce(message text) RETURNS jsonb
  LANGUAGE c IMMUTABLE STRICT AS 'MODULE_PATHNAME', 'mc_parse_bounce';
REVOKE ALL ON FUNCTION mc._parse_bounce(text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION mc.report_bounce(message text) RETURNS bigint
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  b jsonb;
  r jsonb;
  d mc.delivery_log;
BEGIN
  IF $1 IS NULL THEN
    RETURN NULL;
  END IF;
  b := mc._parse_bounce($1);
  IF (b->>'auto_reply')::boolean OR jsonb_array_length(b->'recipients') = 0 THEN
    RETURN NULL;
  END IF;
  SELECT * INTO d FROM mc.delivery_log x
  WHERE x.message_id IN (SELECT jsonb_array_elements_text(b->'message_ids'))
  ORDER BY x.event_id DESC LIMIT 1 FOR UPDATE;
  IF NOT FOUND AND b->>'event_id' ~ '^-?[0-9]{1,19}$' THEN
    SELECT * INTO d FROM mc.delivery_log x WHERE x.event_id = (b->>'event_id')::bigint FOR UPDATE;
  END IF;
  IF NOT FOUND THEN
    SELECT * INTO d FROM mc.delivery_log x
    WHERE x.channel = 'email' AND x.status IN ('sent', 'pending')
      AND lower(x.address) IN (SELECT lower(y->>'address') FROM jsonb_array_elements(b->'recipients') y)
      AND x.created_at > now() - interval '30 days'
    ORDER BY x.event_id DESC LIMIT 1 FOR UPDATE;
  END IF;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  -- The recipient the report says something about for this message (else the first).
  SELECT y INTO r FROM jsonb_array_elements(b->'recipients') WITH ORDINALITY AS t (y, n)
  ORDER BY (lower(y->>'address') = lower(d.address)) DESC, n LIMIT 1;
  IF r->>'disposition' = 'failed' AND d.status IN ('sent', 'pending') THEN
    UPDATE mc.delivery_log x
    SET status = 'failed', failure_reason = coalesce(nullif(r->>'failure_reason', ''), nullif(r->>'diagnostic', ''), r->>'status', 'bounced'),
        lease_until = NULL, lease_token = NULL, last_modified_at = clock_timestamp()
    WHERE x.event_id = d.event_id;
  END IF;
  IF r->>'quarantine' = 'hard' THEN
    INSERT INTO mc.quarantine AS t (channel, address, reason) VALUES (d.channel, d.address, r->>'quarantine_reason')
    ON CONFLICT (channel, address) DO UPDATE
      SET error_count = t.error_count + 1, updated_at = now(), reason = excluded.reason;
  END IF;
  RETURN d.event_id;
END $$;
COMMENT ON FUNCTION mc.report_bounce(text) IS 'Reports a bounce as received; returns the event id it matched, or NULL';
REVOKE ALL ON FUNCTION mc.report_bounce(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mc.report_bounce(text) TO mc_delivery_agent;
-- The pg_cron jobs of an instance, with mcCleanup and the publication retry of a control
-- instance added. The archiving jobs (mcSynch_<name>) have their own functions and show in
-- mc.workflow_status too.
CREATE OR REPLACE FUNCTION mc._workflow_jobs() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY['rtEventsProcessing', 'batchEventsProcessing', 'updateEventsStatus', 'mcCleanup',
               'mcPublicationRetry', 'mcCronHistoryPurge', 'mcSenders']
$$;
-- Creates (or re-creates) the pg_cron jobs of this execution instance and starts the sender
-- workers (mc.settings.sender_workers); the mcSenders job restarts any that is gone within a
-- minute.
CREATE OR REPLACE FUNCTION mc.start_workflows() RETURNS SETOF text
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  job record;
BEGIN
  PERFORM mc._require_pg_cron();
  FOR job IN SELECT * FROM (VALUES
      ('rtEventsProcessing', '* * * * *', 'CALL mc.rt_events_loop()'),
      ('batchEventsProcessing', '* * * * *', 'CALL mc.batch_events_loop()'),
      ('updateEventsStatus', '* * * * *', 'SELECT mc.update_events_status()'),
      -- Small batches often: space freed by a purge is reused before the table grows.
      ('mcCleanup', '* * * * *', 'CALL mc.cleanup()'),
      -- A control instance: publications an execution instance missed while it was down.
      ('mcPublicationRetry', '* * * * *', 'SELECT mc.retry_publications()'),
      -- pg_cron never purges its run history: a row per run, ~7,000 a day here.
      ('mcCronHistoryPurge', '17 * * * *',
       $q$DELETE FROM cron.job_run_details WHERE end_time < now() - interval '3 days'
            AND jobid IN (SELECT jobid FROM cron.job WHERE jobname = ANY (mc._workflow_jobs())
                          OR jobname LIKE 'mcSynch\_%')$q$),
      -- The sender workers: a killed or crashed one is back within a minute.
      ('mcSenders', '* * * * *', 'SELECT mc._ensure_senders()')
    ) AS j (name, schedule, command)
  LOOP
    EXECUTE 'SELECT cron.schedule_in_database($1, $2, $3, $4)'
      USING job.name, job.schedule, job.command, current_database();
    RETURN NEXT job.name;
  END LOOP;
  PERFORM mc._ensure_senders();
END $$;
REVOKE ALL ON FUNCTION mc.start_workflows() FROM PUBLIC;
-- Removes the jobs and stops the sender workers for good. A running rt loop finishes its
-- current minute; a sender worker records what it has in flight, then exits.
CREATE OR REPLACE FUNCTION mc.stop_workflows() RETURNS SETOF text
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  name text;
BEGIN
  PERFORM mc._require_pg_cron();
  FOR name IN EXECUTE $q$SELECT jobname FROM cron.job WHERE database = current_database()
      AND jobname = ANY (mc._workflow_jobs())$q$
  LOOP
    EXECUTE 'SELECT cron.unschedule($1)' USING name;
    RETURN NEXT name;
  END LOOP;
  PERFORM mc._stop_senders();
END $$;
REVOKE ALL ON FUNCTION mc.stop_workflows() FROM PUBLIC;
-- Delivery providers as the sender workers see them: routed or not, workers running, messages
-- in flight (leased), outcomes of the last hour, the last error. Never shows a secret.
--   state: unrouted | stopped (no sender worker running) | failing (the last outcome was an
--   error, within 5 minutes) | active
CREATE OR REPLACE VIEW mc.provider_status AS
  SELECT p.name AS provider, p.channel::text AS channel, p.kind,
         CASE WHEN r.provider IS NULL THEN 'unrouted'
              WHEN NOT EXISTS (SELECT FROM mc.sender_worker w JOIN pg_catalog.pg_stat_activity a
                               ON a.pid = w.pid AND a.backend_type = 'mc sender') THEN 'stopped'
              WHEN e.last_error_at > coalesce(e.last_sent_at, '-infinity')
                   AND e.last_error_at > pg_catalog.now() - interval '5 minutes' THEN 'failing'
              ELSE 'active' END AS state,
         CASE WHEN r.provider IS NULL THEN 0 ELSE
           (SELECT count(*) FROM mc.delivery_log d WHERE d.status = 'pending' AND d.channel = p.channel
              AND d.lease_token IS NOT NULL AND d.lease_until > pg_catalog.now()) END AS in_flight,
         coalesce(c.sent, 0) AS sent_1h, coalesce(c.deferred, 0) AS deferred_1h,
         coalesce(c.failed, 0) AS failed_1h, e.last_error, e.last_error_at
  FROM mc.provider p
  LEFT JOIN mc.channel_route r ON r.provider = p.name
  LEFT JOIN mc.provider_error e ON e.provider = p.name
  LEFT JOIN LATERAL (SELECT sum(x.sent) AS sent, sum(x.deferred) AS deferred, sum(x.failed) AS failed
                     FROM mc.provider_counter x
                     WHERE x.provider = p.name AND x.minute > pg_catalog.now() - interval '1 hour') c ON true;
COMMENT ON VIEW mc.provider_status IS 'Delivery providers: routing, workers, in flight, outcomes of the last hour, last error';
GRANT SELECT ON mc.provider_status TO mc_status_reader;
