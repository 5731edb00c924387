-- Each template's publication on each execution instance.
CREATE OR REPLACE VIEW mc.publication_status AS
  SELECT ip.instance_name, ip.template_name, ip.status, ip.requested_at, ip.done_at,
         ip.attempts, ip.last_attempt_at, ip.last_error
  FROM mc.instance_publication ip;
COMMENT ON VIEW mc.publication_status IS 'Publication of each template to each execution instance';
GRANT SELECT ON mc.publication_status TO mc_status_reader;
