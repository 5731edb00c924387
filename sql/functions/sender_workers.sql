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
-- once). One row per message (columns, not JSON: the worker reads them as they are); a single
-- row of NULLs when the slot is no longer this run's (the worker exits 0). Messages are never
-- sent inside this transaction: the worker commits, sends, then records the outcomes.
-- One pass per channel and queue over the index delivery_log_pending_queue (rt, then batch),
-- stopping after the limit; a message its workers died on max_delivery_attempts times is
-- failed by that same pass instead of returned. The event's fields come from its queue's
-- primary key (not through the mc.event view, whose join scanned both queues).
-- after_rt[i] / after_batch[i]: the worker's cursor per channel and queue, only ids above it
-- (NULL: from the start). Under a backlog the worker passes the last id it claimed, so a pass
-- does not walk again the index entries of the messages it has in flight and of those just
-- sent (not yet vacuumed): at 20,000 messages that walk was 60 % of the worker (perf).
-- with_event[i]: whether the channel's provider reads the event's own fields (an HTTP provider
-- with header or body templates). Only then are they looked up (a primary-key probe of the
-- event per message: 15 % of the claim); else they are NULL, and so is valid_until: the
-- validity end (the event's expires_at) is then applied by mc._sender_record to deferrals.
CREATE OR REPLACE FUNCTION mc._sender_claim(slot integer, token uuid, channels text[], limits integer[],
                                              after_rt bigint[], after_batch bigint[],
                                              with_event boolean[])
  RETURNS TABLE (event_id bigint, channel text, queue text, address text, sender text,
                 subject text, body_html text, body_text text, push_data text, webhook_url text,
                 unsubscribe_url text, attempts integer, max_attempts integer,
                 valid_until double precision, external_id text, event_type text,
                 language text, country text)
  -- (Generic plans: the statements' shapes never change, and re-planning them on every call
  -- cost about 7 % of a busy worker.)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  s mc.settings;
  now_ timestamptz := clock_timestamp();
BEGIN
  IF NOT EXISTS (SELECT FROM mc.sender_worker x WHERE x.slot = $1 AND x.run_token = $2) THEN
    RETURN NEXT;  -- one row of NULLs: the slot is gone
    RETURN;
  END IF;
  UPDATE mc.sender_worker x SET heartbeat_at = now_
  WHERE x.slot = $1 AND x.heartbeat_at < now_ - interval '10 seconds';
  SELECT * INTO s FROM mc.settings;
  FOR i IN 1 .. coalesce(array_length($3, 1), 0) LOOP
    CONTINUE WHEN $4[i] < 1;
    -- rt, then batch up to the limit: two passes with the queue as a constant, each over the
    -- index (channel, queue, event_id). (With the queue a variable, the generic plan walked
    -- delivery_log_pending and filtered the queue: the rt pass read every pending batch
    -- message, 5 ms per claim under a backlog of 8,000.) Arrays, so that the update finds its
    -- rows by primary key: joined with the CTEs, the planner chose a sequential scan.
    RETURN QUERY
    WITH rt AS (
      SELECT ARRAY(
        SELECT d.event_id FROM mc.delivery_log d
        WHERE d.status = 'pending' AND d.channel = $3[i]::mc.channel AND d.queue = 'rt'
          AND d.event_id > coalesce($5[i], 0)  -- the worker's cursor (worker.cpp, "cursors")
          AND (d.lease_until IS NULL OR d.lease_until < now_)
        ORDER BY d.event_id LIMIT $4[i]
        FOR UPDATE SKIP LOCKED) AS ids),
    batch AS (
      SELECT ARRAY(
        SELECT d.event_id FROM mc.delivery_log d
        WHERE d.status = 'pending' AND d.channel = $3[i]::mc.channel AND d.queue = 'batch'
          AND d.event_id > coalesce($6[i], 0)
          AND (d.lease_until IS NULL OR d.lease_until < now_)
        ORDER BY d.event_id LIMIT $4[i] - (SELECT cardinality(rt.ids) FROM rt)
        FOR UPDATE SKIP LOCKED) AS ids),
    claimed AS (
      UPDATE mc.delivery_log d
      SET lease_until = CASE WHEN d.attempts < s.max_delivery_attempts THEN now_ + interval '10 minutes' END,
          attempts = CASE WHEN d.attempts < s.max_delivery_attempts THEN d.attempts + 1 ELSE d.attempts END,
          lease_token = CASE WHEN d.attempts < s.max_delivery_attempts THEN $2 END,
          -- Messages whose worker died on them max_delivery_attempts times fail.
          status = CASE WHEN d.attempts < s.max_delivery_attempts THEN d.status ELSE 'failed' END,
          failure_reason = CASE WHEN d.attempts < s.max_delivery_attempts THEN d.failure_reason
                                ELSE format('no outcome after %s delivery attempts', d.attempts) END,
          last_modified_at = CASE WHEN d.attempts < s.max_delivery_attempts THEN d.last_modified_at ELSE now_ END
      FROM rt, batch WHERE d.event_id = ANY (rt.ids || batch.ids)
      RETURNING d.event_id, d.channel, d.queue, d.address, d.sender, d.subject, d.body_html,
                d.body_text, d.push_data, d.webhook_url, d.unsubscribe_url, d.attempts, d.status,
                d.created_at)
    SELECT c.event_id, c.channel::text, c.queue, c.address, c.sender, c.subject, c.body_html,
           c.body_text, c.push_data, c.webhook_url, c.unsubscribe_url, c.attempts,
           s.max_delivery_attempts,
           CASE WHEN $7[i] THEN extract(epoch FROM coalesce(e.expires_at, c.created_at + s.message_validity))::double precision END,
           e.external_id, e.event_type, e.language, e.country
    FROM claimed c
    LEFT JOIN LATERAL (
      SELECT r.expires_at, r.external_id, r.event_type, r.language, r.country
      FROM mc.rt_event r WHERE $7[i] AND c.queue = 'rt' AND r.id = c.event_id
      UNION ALL
      SELECT b.expires_at, b.external_id, b.event_type, b.language, b.country
      FROM mc.batch_event b WHERE $7[i] AND c.queue = 'batch' AND b.id = c.event_id) e ON $7[i]
    WHERE c.status = 'pending'
    ORDER BY c.queue = 'batch', c.event_id;
  END LOOP;
END $$;
REVOKE ALL ON FUNCTION mc._sender_claim(integer, uuid, text[], integer[], bigint[], bigint[], boolean[]) FROM PUBLIC;

-- Whether a deferred message's retry at `retry_at` (unix time) would come after its validity
-- end: the event's expires_at, else the message's creation plus mc.settings.message_validity.
-- mc._sender_record applies it to deferrals (not the worker: its claim reads the event only when
-- the provider needs the event's fields; deferrals are rare, so only they look the event up).
CREATE OR REPLACE FUNCTION mc._validity_ended(queue text, event_id bigint, created_at timestamptz,
                                              retry_at double precision) RETURNS boolean
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT to_timestamp($4) > coalesce(
    CASE $1 WHEN 'rt' THEN (SELECT r.expires_at FROM mc.rt_event r WHERE r.id = $2)
            ELSE (SELECT b.expires_at FROM mc.batch_event b WHERE b.id = $2) END,
    $3 + (SELECT s.message_validity FROM mc.settings s))
$$;
REVOKE ALL ON FUNCTION mc._validity_ended(text, bigint, timestamptz, double precision) FROM PUBLIC;

-- Records a batch of outcomes of the run `token`: sent / failed (final), deferred (pending
-- again from retry_at). Only messages this run still holds are touched: an outcome is recorded
-- once (a stale run's report changes nothing). Quarantines the addresses the outcome says to
-- (hard: at once; soft, mailbox full: counted by mc._soft_failures, quarantined when repeated;
-- a message sent forgets the address's soft count), counts per provider. Returns the messages
-- recorded.
-- One outcome per position of the arrays (event_ids[i], statuses[i], reasons[i] ...); an array
-- left out or shorter than event_ids reads as NULLs (unnest pads). Arrays, not a JSON document
-- (0.4.0): reading 256 outcomes from JSON took 0.2 ms more than from arrays (pgbench, apart),
-- against a whole record of ~1.5 ms, and building the JSON was 2.2 % of the worker's CPU (perf,
-- 20,000 emails: ~0.17 ms per record).
CREATE OR REPLACE FUNCTION mc._sender_record(token uuid, event_ids bigint[], statuses text[],
                                               reasons text[] DEFAULT NULL,
                                               message_ids text[] DEFAULT NULL,
                                               retry_at bigint[] DEFAULT NULL,
                                               quarantines text[] DEFAULT NULL,
                                               providers text[] DEFAULT NULL,
                                               softs text[] DEFAULT NULL) RETURNS integer
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  now_ timestamptz := clock_timestamp();
  n integer;
  soft_channels mc.channel[];
  soft_addresses text[];
  soft_reasons text[];
BEGIN
  WITH o AS (
    SELECT * FROM unnest($2, $3, $4, $5, $6, $7, $8, $9)
      AS x (event_id, status, reason, message_id, retry_at, quarantine, provider, soft)),
  u AS (
    UPDATE mc.delivery_log d
    SET status = (CASE WHEN o.status <> 'deferred' THEN o.status
                       WHEN mc._validity_ended(d.queue, d.event_id, d.created_at, o.retry_at) THEN 'failed'
                       ELSE 'pending' END)::mc.delivery_status,
        failure_reason = CASE WHEN o.status <> 'deferred' THEN o.reason
                              WHEN mc._validity_ended(d.queue, d.event_id, d.created_at, o.retry_at)
                              THEN 'expired while deferred: ' || o.reason
                              ELSE o.reason END,
        message_id = coalesce(o.message_id, d.message_id),
        lease_until = CASE WHEN o.status <> 'deferred' THEN NULL
                           WHEN mc._validity_ended(d.queue, d.event_id, d.created_at, o.retry_at) THEN NULL
                           ELSE to_timestamp(o.retry_at) END,
        lease_token = NULL, last_modified_at = now_
    -- Each outcome finds its row by primary key (a nested loop over the ~10 rows the planner
    -- guesses for unnest; a second condition d.event_id = ANY ($2) made it scan the outcomes
    -- once per row instead).
    FROM o WHERE d.event_id = o.event_id AND d.lease_token = $1
      AND d.status = 'pending'
    RETURNING d.event_id, d.channel, d.address,
              CASE WHEN o.status = 'deferred' AND d.status = 'failed' THEN 'failed' ELSE o.status END AS status,
              o.reason, o.quarantine, o.provider, o.soft),
  -- (Each of the three below is skipped cheaply when there is nothing to do: together they
  -- were a fifth of the record step.) No soft failure counted anywhere: no join at all.
  forgotten AS (
    DELETE FROM mc.soft_failure f USING u
    WHERE u.status = 'sent' AND f.channel = u.channel AND f.address = u.address
      AND EXISTS (SELECT FROM mc.soft_failure)),
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
    -- Only sent: last_sent_at is not written again within a second of the last write, unless
    -- an error came after it (provider_status compares the two).
    HAVING bool_or(u.status <> 'sent') OR NOT EXISTS (
      SELECT FROM mc.provider_error x WHERE x.provider = u.provider
        AND x.last_sent_at > now_ - interval '1 second'
        AND x.last_sent_at >= coalesce(x.last_error_at, '-infinity'))
    ON CONFLICT (provider) DO UPDATE
      SET last_error = coalesce(excluded.last_error, t.last_error),
          last_error_at = greatest(t.last_error_at, excluded.last_error_at),
          last_sent_at = coalesce(excluded.last_sent_at, t.last_sent_at))
  SELECT count(*), array_agg(u.channel) FILTER (WHERE u.soft IS NOT NULL),
         array_agg(u.address) FILTER (WHERE u.soft IS NOT NULL),
         array_agg(u.soft) FILTER (WHERE u.soft IS NOT NULL)
  INTO n, soft_channels, soft_addresses, soft_reasons FROM u;
  IF soft_channels IS NOT NULL THEN
    PERFORM mc._soft_failures(soft_channels, soft_addresses, soft_reasons);
  END IF;
  DELETE FROM mc.provider_counter x WHERE x.minute < now_ - interval '2 hours';
  RETURN n;
END $$;
REVOKE ALL ON FUNCTION mc._sender_record(uuid, bigint[], text[], text[], text[], bigint[], text[], text[], text[]) FROM PUBLIC;

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
