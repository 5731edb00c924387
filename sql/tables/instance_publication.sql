-- On the control instance: what each execution instance still has to receive.
CREATE TABLE mc.instance_publication (
  instance_name text NOT NULL REFERENCES mc.execution_instance (name) ON DELETE CASCADE,
  template_name text NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done')),
  requested_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  last_attempt_at timestamptz,
  last_error text,
  done_at timestamptz,
  PRIMARY KEY (instance_name, template_name)
);
CREATE INDEX instance_publication_pending ON mc.instance_publication (instance_name)
  WHERE status = 'pending';
COMMENT ON TABLE mc.instance_publication IS 'Publication of each template to each execution instance';
-- User data: pg_dump keeps it (an extension's tables are otherwise dumped as definitions only).
SELECT pg_catalog.pg_extension_config_dump('mc.instance_publication', '');
