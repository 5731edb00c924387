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
-- pg_authid, not the pg_roles view: the view's join with pg_db_role_setting was planned as a
-- hash join built on every call; pg_authid's unique index on rolname makes it one probe.
CREATE OR REPLACE FUNCTION mc.api_token_role(token text) RETURNS name
LANGUAGE plpgsql STABLE STRICT SECURITY DEFINER
SET search_path = pg_catalog, mc, pg_temp
AS $$
DECLARE
  found name;
BEGIN
  SELECT a.rolname INTO found
  FROM mc.api_token t
  JOIN pg_catalog.pg_authid a ON a.rolname = t.role_name
  WHERE t.token_sha256 = sha256(convert_to($1, 'UTF8')) AND NOT a.rolsuper;
  RETURN found;
END
$$;
REVOKE ALL ON FUNCTION mc.api_token_role(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mc.api_token_role(text) TO mc_gateway;
COMMENT ON FUNCTION mc.api_token_role(text) IS
  'mc-gateway login: the role an API token maps to, or NULL (role mc_gateway only)';

-- mc-gateway remembers the role of a token it has looked up (src/gateway/token_cache.hpp) and
-- LISTENs on mc_api_token_changed: any revocation or change of a token, however made
-- (mc.revoke_api_token, a DELETE, an UPDATE, TRUNCATE), notifies at commit and every gateway
-- forgets what it remembered. The payload is empty: which token changed is nobody's business.
CREATE OR REPLACE FUNCTION mc._api_token_changed() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, mc, pg_temp
AS $$
BEGIN
  PERFORM pg_catalog.pg_notify('mc_api_token_changed', '');
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION mc._api_token_changed() FROM PUBLIC;
COMMENT ON FUNCTION mc._api_token_changed() IS
  'Trigger: tells every mc-gateway (LISTEN mc_api_token_changed) to forget the tokens it remembers';
CREATE OR REPLACE TRIGGER api_token_changed
  AFTER UPDATE OR DELETE OR TRUNCATE ON mc.api_token
  FOR EACH STATEMENT EXECUTE FUNCTION mc._api_token_changed();
