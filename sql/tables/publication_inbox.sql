-- Publication to execution instances (spec sections 5 and 6). The control instance pushes the
-- state of a template (its published copy and paused flag, or "unpublished") into
-- mc.publication_inbox on each instance, through postgres_fdw; a trigger there applies it.
-- An instance that cannot be reached keeps the push pending; retry_publications (the
-- mcPublicationRetry job) sends it when the instance is back.

-- On an execution instance: where a control instance drops publications. Rows are applied by
-- the trigger and never stored.
CREATE TABLE mc.publication_inbox (
  action text NOT NULL CHECK (action IN ('partial', 'publish', 'unpublish')),
  name text NOT NULL,
  event_type text,
  channel mc.channel,
  language text,
  sender text,
  subject text,
  body_html text,
  body_text text,
  push_data text,
  webhook_url text,
  paused boolean,
  published_at timestamptz,
  partial_body text,
  unsubscribe_url text
);
COMMENT ON TABLE mc.publication_inbox IS 'Publications pushed by a control instance (applied on insert, not stored)';
CREATE TRIGGER apply_publication BEFORE INSERT ON mc.publication_inbox
  FOR EACH ROW EXECUTE FUNCTION mc._apply_publication();
GRANT INSERT ON mc.publication_inbox TO mc_control_agent;
