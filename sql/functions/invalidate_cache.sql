-- Statement trigger: a relcache invalidation of the table it is on, which every backend's
-- caches of that table's content listen to.
CREATE OR REPLACE FUNCTION mc._invalidate_cache() RETURNS trigger
  LANGUAGE c AS 'MODULE_PATHNAME', 'mc_invalidate_cache';
