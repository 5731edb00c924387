-- Preview/testing: renders Mustache against ctx itself. escape: 'html', 'none' or 'url'.
CREATE OR REPLACE FUNCTION mc.render_template(template text, ctx jsonb, partials jsonb DEFAULT NULL,
                                   escape text DEFAULT 'html')
  RETURNS text LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'mc_render_template';
