// mc.render_template (previews and tests) and mc._check_template_part (compile-on-write of
// templates and partials).
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

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

// What a call of mc.render_template compiled, kept for the calls that follow in this backend:
// a query renders the same template (and the same partials) for row after row, and compiling a
// 2 KB template costs several times its rendering. Keyed by the exact bytes (a length check,
// then memcmp: no hash of the whole text on every call; key_equals); the most recently used
// first.
constexpr std::size_t kCachedEntries = 16;
constexpr std::size_t kMaxCachedBytes = 256 * 1024;  // larger texts are compiled every time

struct CompiledSource {
  std::string key;  // see key_equals
  std::shared_ptr<const mc::tmpl::Template> compiled;
};
struct LoadedPartials {
  std::string key;  // 'j' and the partials argument's jsonb (header excluded)
  std::unique_ptr<mc::tmpl::MapPartialResolver> resolver;  // compiles each partial once
};

// An entry's key is a tag and bytes: 'c' and a template's compressed varlena as given (a text
// of a few kB read from a table arrives compressed inline: keyed so, a hit skips the
// decompression too; decompressing is deterministic, so equal bytes mean an equal text), 't'
// and a text's content, 'j' and a jsonb's.
bool key_equals(const std::string& key, char tag, std::string_view bytes) {
  return key.size() == bytes.size() + 1 && key[0] == tag &&
         std::memcmp(key.data() + 1, bytes.data(), bytes.size()) == 0;
}
std::string make_key(char tag, std::string_view bytes) {
  std::string key(1, tag);
  key.append(bytes);
  return key;
}

template <typename Entry>
Entry* find_cached(std::vector<Entry>& cache, char tag, std::string_view bytes) {
  for (std::size_t i = 0; i < cache.size(); ++i) {
    if (key_equals(cache[i].key, tag, bytes)) {
      if (i != 0) std::swap(cache[0], cache[i]);  // most recently used first
      return &cache[0];
    }
  }
  return nullptr;
}

template <typename Entry>
Entry* insert_cached(std::vector<Entry>& cache, Entry entry) {
  if (cache.size() == kCachedEntries) cache.pop_back();  // roughly the least recently used
  cache.insert(cache.begin(), std::move(entry));
  return &cache[0];
}

std::vector<CompiledSource> compiled_sources;
std::vector<LoadedPartials> loaded_partials;

std::string_view text_bytes(text* t) {
  return std::string_view(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

// The compiled template of the argument (a text datum as passed: plain, compressed inline or
// stored out of line).
std::shared_ptr<const mc::tmpl::Template> compiled_template(Datum arg,
                                                            const mc::tmpl::RenderLimits& limits) {
  auto* raw = reinterpret_cast<struct varlena*>(DatumGetPointer(arg));
  char tag = 't';
  std::string_view key;
  text* source = nullptr;
  if (VARATT_IS_COMPRESSED(raw)) {
    tag = 'c';
    key = std::string_view(reinterpret_cast<const char*>(raw), VARSIZE(raw));
  } else {
    // Plain (no copy), or fetched from its TOAST table and keyed by its content.
    source = VARATT_IS_EXTERNAL(raw) ? mc::pg::call([&] { return pg_detoast_datum_packed(raw); })
                                     : reinterpret_cast<text*>(raw);
    key = text_bytes(source);
  }
  if (auto* hit = find_cached(compiled_sources, tag, key)) return hit->compiled;
  if (source == nullptr) source = mc::pg::call([&] { return pg_detoast_datum_packed(raw); });
  auto compiled = mc::tmpl::compile(text_bytes(source), limits);
  if (key.size() <= kMaxCachedBytes)
    insert_cached(compiled_sources, CompiledSource{make_key(tag, key), compiled});
  return compiled;
}

const mc::tmpl::PartialResolver* partial_resolver(
    Jsonb* partials, std::unique_ptr<mc::tmpl::MapPartialResolver>& once) {
  std::string_view bytes(reinterpret_cast<const char*>(&partials->root),
                         VARSIZE(partials) - VARHDRSZ);
  if (auto* hit = find_cached(loaded_partials, 'j', bytes)) return hit->resolver.get();
  auto resolver = std::make_unique<mc::tmpl::MapPartialResolver>();
  load_partials(partials, *resolver);
  if (bytes.size() > kMaxCachedBytes) {
    once = std::move(resolver);
    return once.get();
  }
  return insert_cached(loaded_partials, LoadedPartials{make_key('j', bytes), std::move(resolver)})
      ->resolver.get();
}

mc::tmpl::Escape escape_of(text* name) {
  std::string_view n = text_bytes(name);
  if (n == "html") return mc::tmpl::Escape::Html;
  if (n == "none" || n == "text") return mc::tmpl::Escape::None;
  if (n == "url") return mc::tmpl::Escape::Url;
  return escape_arg(std::string(n));  // throws, naming it
}

// The rendering, reused from call to call: its capacity stays.
std::string rendered;

}  // namespace

MC_FUNCTION(mc_render_template) {
  if (PG_ARGISNULL(0)) PG_RETURN_NULL();
  mc::tmpl::RenderOptions options;
  options.limits.should_stop = mc::pg::interrupt_pending;  // statement_timeout, cancel
  options.escape = PG_ARGISNULL(3) ? mc::tmpl::Escape::Html
                                   : escape_of(mc::pg::call([&] { return PG_GETARG_TEXT_PP(3); }));
  mc::tmpl::MapPartialResolver no_partials;
  std::unique_ptr<mc::tmpl::MapPartialResolver> uncached_partials;
  options.partials =
      PG_ARGISNULL(2)
          ? &no_partials
          : partial_resolver(mc::pg::call([&] { return PG_GETARG_JSONB_P(2); }), uncached_partials);
  Jsonb* ctx = PG_ARGISNULL(1) ? nullptr : mc::pg::call([&] { return PG_GETARG_JSONB_P(1); });
  mc::render::JsonbDataSource data;
  mc::render::RootObject empty;
  mc::tmpl::DataRef root = ctx ? mc::render::JsonbDataSource::container(&ctx->root)
                               : mc::render::JsonbDataSource::root(&empty);
  rendered.clear();
  try {
    auto compiled = compiled_template(PG_GETARG_DATUM(0), options.limits);
    mc::tmpl::render(*compiled, data, root, options, rendered);
  } catch (const mc::tmpl::TemplateError& e) {
    throw SqlError(e.line() > 0 ? ERRCODE_SYNTAX_ERROR : ERRCODE_PROGRAM_LIMIT_EXCEEDED,
                   std::string("template: ") + e.what());
  }
  text* result = mc::pg::call(
      [&] { return cstring_to_text_with_len(rendered.data(), static_cast<int>(rendered.size())); });
  if (rendered.capacity() > kMaxCachedBytes) std::string().swap(rendered);  // not kept
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
