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
