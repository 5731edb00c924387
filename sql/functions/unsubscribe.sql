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
