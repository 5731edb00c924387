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
