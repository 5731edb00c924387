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
