-- Compiles one Mustache part; raises 42601 with the part, line and column when it does not parse.
CREATE OR REPLACE FUNCTION mc._check_template_part(part text, source text) RETURNS void
  LANGUAGE c AS 'MODULE_PATHNAME', 'mc_check_template_part';
