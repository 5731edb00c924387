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
