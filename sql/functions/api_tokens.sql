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
