// libFuzzer target: arbitrary bytes as a template, a partial and a JSON-ish context. Compile and
// render must either succeed or throw TemplateError: never crash, hang or overflow (run under
// ASan + UBSan by fuzz/run.sh).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "template/compiled_template.hpp"
#include "template/partial_resolver.hpp"
#include "template/template_error.hpp"
#include "template/template_renderer.hpp"
#include "template/value.hpp"

using namespace mc::tmpl;

namespace {

// A small deterministic context built from input bytes: nested objects, lists, strings.
Value context_from(std::string_view bytes) {
  Value root = Value::object();
  Value* cursor = &root;
  int depth = 0;
  for (std::size_t i = 0; i + 1 < bytes.size() && i < 64; i += 2) {
    std::string key(1, static_cast<char>('a' + (bytes[i] & 7)));
    switch (bytes[i + 1] & 7) {
      case 0:
        cursor->set(key, Value::string(std::string(bytes.substr(i, 3))));
        break;
      case 1:
        cursor->set(key, Value::number(std::to_string(static_cast<int>(bytes[i]))));
        break;
      case 2:
        cursor->set(key, Value::boolean(bytes[i] & 1));
        break;
      case 3:
        cursor->set(key, Value());
        break;
      case 4:
        cursor->set(key,
                    Value::array({Value::string("x"), Value::object({{"a", Value::string("y")}})}));
        break;
      case 5:
        if (depth < 8) {
          cursor = &cursor->set(key, Value::object());
          ++depth;
        }
        break;
      case 6:
        // Names a partial that exists, for dynamic names ({{>*c}}, {{<*c}}).
        cursor->set(key, Value::string(bytes[i] & 8 ? "p" : "a"));
        break;
      default:
        cursor->set(key, Value::string(""));
        break;
    }
  }
  return root;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // Sections separated by a 0 byte: template \0 partial \0 context bytes.
  std::size_t first = input.find('\0');
  std::string_view source = input.substr(0, first);
  std::string_view rest = first == std::string_view::npos ? "" : input.substr(first + 1);
  std::size_t second = rest.find('\0');
  std::string_view partial = rest.substr(0, second);
  std::string_view ctx = second == std::string_view::npos ? "" : rest.substr(second + 1);

  RenderOptions options;
  options.limits.max_output_bytes = 1 << 16;
  options.limits.max_source_bytes = 1 << 14;
  // Small enough that nested sections over lists hit the limit in milliseconds, not seconds.
  options.limits.max_steps = 200000;
  MapPartialResolver partials(options.limits);
  partials.add("p", std::string(partial));
  partials.add("a", std::string(source));  // lets templates recurse into themselves
  options.partials = &partials;
  Value context = context_from(ctx);
  ValueSource src;
  for (Escape escape : {Escape::Html, Escape::None, Escape::Url}) {
    options.escape = escape;
    options.missing_partial_is_error = escape == Escape::Url;
    try {
      std::string out;
      render(*compile(source, options.limits), src, ValueSource::ref(context), options, out);
    } catch (const TemplateError&) {
    }
  }
  return 0;
}
