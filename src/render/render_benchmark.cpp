// mc._render_benchmark: renders a template from jsonb many times inside the backend and
// returns renders per second, so that bench/render measures the jsonb data source without a
// query per render. Not for production use (it is revoked from PUBLIC).
//
// It ships inside the .so because the extension's SQL declares it (mc._render_benchmark in
// sql/install/11_templates.sql, used by bench/render): a symbol missing from the library would
// make CREATE EXTENSION fail. Taking it out needs that declaration dropped first (an SQL change).
#include <chrono>
#include <string>

#include "pg/guard.hpp"
#include "render/jsonb_data_source.hpp"
#include "template/compiled_template.hpp"
#include "template/partial_resolver.hpp"
#include "template/template_renderer.hpp"

extern "C" {
#include "utils/builtins.h"
}

MC_FUNCTION(mc_render_benchmark) {
  if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(3))
    throw mc::pg::SqlError(ERRCODE_NULL_VALUE_NOT_ALLOWED,
                           "template, ctx and iterations are required");
  std::string source = mc::pg::call([&] { return text_to_cstring(PG_GETARG_TEXT_PP(0)); });
  Jsonb* ctx = mc::pg::call([&] { return PG_GETARG_JSONB_P(1); });
  int iterations = PG_GETARG_INT32(3);
  mc::tmpl::MapPartialResolver partials;
  if (!PG_ARGISNULL(2)) {
    std::string footer = mc::pg::call([&] { return text_to_cstring(PG_GETARG_TEXT_PP(2)); });
    partials.add("footer", footer);
  }
  auto compiled = mc::tmpl::compile(source);
  mc::tmpl::RenderOptions options;
  options.partials = &partials;
  mc::render::JsonbDataSource data;
  mc::tmpl::DataRef root = mc::render::JsonbDataSource::container(&ctx->root);
  std::string out;
  out.reserve(8192);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) {
    out.clear();
    mc::tmpl::render(*compiled, data, root, options, out);
  }
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  return Float8GetDatum(iterations / elapsed.count());
}
