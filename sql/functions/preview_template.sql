-- Renders a template for each of its seed addresses (or a given ctx), without publishing.
CREATE OR REPLACE FUNCTION mc.preview_template(name text, ctx jsonb DEFAULT NULL)
  RETURNS TABLE (seed_id bigint, address text, sender text, subject text, body_html text,
                 body_text text, push_data text, webhook_url text)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  tid bigint := mc._template_id($1);
  partials jsonb := (SELECT coalesce(jsonb_object_agg(p.name, p.body), '{}') FROM mc.partial p);
BEGIN
  RETURN QUERY
  WITH seeds AS (
    SELECT s.id, coalesce(s.email, s.mobile_phone) AS address,
           jsonb_build_object('ctx', s.ctx, 'email', s.email, 'mobilePhone', s.mobile_phone) AS root
    FROM mc.seed_address s WHERE s.template_id = tid AND $2 IS NULL
    UNION ALL
    SELECT NULL, NULL, jsonb_build_object('ctx', $2) WHERE $2 IS NOT NULL)
  SELECT s.id, s.address,
         mc.render_template(t.sender, s.root, partials, 'none'),
         mc.render_template(t.subject, s.root, partials, 'none'),
         mc.render_template(t.body_html, s.root, partials, 'html'),
         mc.render_template(t.body_text, s.root, partials, 'none'),
         mc.render_template(t.push_data, s.root, partials, 'none'),
         mc.render_template(t.webhook_url, s.root, partials, 'url')
  FROM seeds s CROSS JOIN mc.template t WHERE t.id = tid;
END $$;
REVOKE ALL ON FUNCTION mc.preview_template(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mc.preview_template(text, jsonb) TO mc_template_manager;
