// mc.render_template (previews and tests) and mc._check_template_part (compile-on-write of
// templates and partials).
#include <string>

#include "pg/guard.hpp"
#include "render/jsonb_data_source.hpp"
#include "template/compiled_template.hpp"
#include "template/partial_resolver.hpp"
#include "template/template_error.hpp"
#include "template/template_renderer.hpp"

extern "C" {
#include "utils/builtins.h"
}

namespace {

using mc::pg::SqlError;

std::string text_arg(FunctionCallInfo fcinfo, int arg) {
  return mc::pg::call([&] { return text_to_cstring(PG_GETARG_TEXT_PP(arg)); });
}

mc::tmpl::Escape escape_arg(const std::string& name) {
  if (name == "html") return mc::tmpl::Escape::Html;
  if (name == "none" || name == "text") return mc::tmpl::Escape::None;
  if (name == "url") return mc::tmpl::Escape::Url;
  throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
                 "escape must be 'html', 'none' or 'url', not \"" + name + "\"");
}

// Partials as a JSON object {"name": "template text", ...}.
void load_partials(Jsonb* partials, mc::tmpl::MapPartialResolver& resolver) {
  if (!JB_ROOT_IS_OBJECT(partials) || JB_ROOT_IS_SCALAR(partials))
    throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
                   "partials must be a JSON object of name: template text");
  JsonbIterator* it = mc::pg::call([&] { return JsonbIteratorInit(&partials->root); });
  JsonbValue key, value;
  while (true) {
    JsonbIteratorToken token = mc::pg::call([&] { return JsonbIteratorNext(&it, &key, true); });
    if (token == WJB_DONE) break;
    if (token != WJB_KEY) continue;
    mc::pg::call([&] { return JsonbIteratorNext(&it, &value, true); });
    std::string name(key.val.string.val, key.val.string.len);
    if (value.type != jbvString)
      throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
                     "partial \"" + name + "\" must be a string of template text");
    resolver.add(name, std::string(value.val.string.val, value.val.string.len));
  }
}

}  // namespace

MC_FUNCTION(mc_render_template) {
  if (PG_ARGISNULL(0)) PG_RETURN_NULL();
  std::string source = text_arg(fcinfo, 0);
  mc::tmpl::RenderOptions options;
  options.limits.should_stop = mc::pg::interrupt_pending;  // statement_timeout, cancel
  options.escape = PG_ARGISNULL(3) ? mc::tmpl::Escape::Html : escape_arg(text_arg(fcinfo, 3));
  mc::tmpl::MapPartialResolver partials;
  if (!PG_ARGISNULL(2)) load_partials(mc::pg::call([&] { return PG_GETARG_JSONB_P(2); }), partials);
  options.partials = &partials;
  Jsonb* ctx = PG_ARGISNULL(1) ? nullptr : mc::pg::call([&] { return PG_GETARG_JSONB_P(1); });
  mc::render::JsonbDataSource data;
  mc::render::RootObject empty;
  mc::tmpl::DataRef root = ctx ? mc::render::JsonbDataSource::container(&ctx->root)
                               : mc::render::JsonbDataSource::root(&empty);
  std::string out;
  try {
    mc::tmpl::render(*mc::tmpl::compile(source, options.limits), data, root, options, out);
  } catch (const mc::tmpl::TemplateError& e) {
    throw SqlError(e.line() > 0 ? ERRCODE_SYNTAX_ERROR : ERRCODE_PROGRAM_LIMIT_EXCEEDED,
                   std::string("template: ") + e.what());
  }
  text* result = mc::pg::call(
      [&] { return cstring_to_text_with_len(out.data(), static_cast<int>(out.size())); });
  PG_RETURN_TEXT_P(result);
}

MC_FUNCTION(mc_check_template_part) {
  if (PG_ARGISNULL(1)) PG_RETURN_VOID();
  std::string part = PG_ARGISNULL(0) ? "template" : text_arg(fcinfo, 0);
  std::string source = text_arg(fcinfo, 1);
  try {
    mc::tmpl::compile(source);
  } catch (const mc::tmpl::TemplateError& e) {
    throw SqlError(ERRCODE_SYNTAX_ERROR,
                   "template part \"" + part + "\" does not parse: " + e.what(), {},
                   "Fix the Mustache syntax at the line and column given.");
  }
  PG_RETURN_VOID();
}
