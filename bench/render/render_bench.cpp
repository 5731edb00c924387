// Renders per second of the 2 KB order-confirmation template (10 interpolations, a section
// over 5 line items, one partial) from the plain value model, against a naive baseline of
// chained find/replace on the same text. The jsonb and SQL replace() figures come from
// bench/render/run.sh, which runs inside PostgreSQL.
#include <benchmark/benchmark.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "template/compiled_template.hpp"
#include "template/partial_resolver.hpp"
#include "template/template_renderer.hpp"
#include "template/value.hpp"
#include "support/json_to_value.hpp"

using namespace mc::tmpl;

namespace {

std::string read(const std::string& name) {
  std::ifstream in(std::string(MC_BENCH_DIR) + "/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Fixture {
  std::string source = read("order_confirmation.mustache");
  std::string footer = read("footer.mustache");
  Value data = mc::test::json_to_value(nlohmann::json::parse(read("ctx.json")));
};

const Fixture& fixture() {
  static Fixture f;
  return f;
}

void BM_Render_ValueModel(benchmark::State& state) {
  const Fixture& f = fixture();
  MapPartialResolver partials;
  partials.add("footer", f.footer);
  auto t = compile(f.source);
  RenderOptions options;
  options.partials = &partials;
  ValueSource src;
  std::string out;
  out.reserve(4096);
  for (auto _ : state) {
    out.clear();
    render(*t, src, ValueSource::ref(f.data), options, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes_out"] = static_cast<double>(out.size());
}
BENCHMARK(BM_Render_ValueModel);

void BM_Compile(benchmark::State& state) {
  const Fixture& f = fixture();
  for (auto _ : state) benchmark::DoNotOptimize(compile(f.source));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Compile);

// The baseline: the same text with each tag replaced by find/replace, items pre-joined.
void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (std::size_t pos = s.find(from); pos != std::string::npos;
       pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}

void BM_Baseline_FindReplace(benchmark::State& state) {
  const Fixture& f = fixture();
  std::string base = f.source;
  std::size_t open = base.find("{{#ctx.order.items}}");
  std::size_t close = base.find("{{/ctx.order.items}}");
  std::string row = base.substr(open + 20, close - open - 20);
  base.replace(open, close + 20 - open, "{{items}}");
  replace_all(base, "{{> footer}}", f.footer);
  const Value& ctx = *f.data.find("ctx");
  const Value& order = *ctx.find("order");
  const Value& customer = *ctx.find("customer");
  for (auto _ : state) {
    std::string s = base;
    std::string items;
    for (const Value& item : order.find("items")->items()) {
      std::string r = row;
      replace_all(r, "{{name}}", item.find("name")->text());
      replace_all(r, "{{qty}}", item.find("qty")->text());
      replace_all(r, "{{price}}", item.find("price")->text());
      replace_all(r, "{{currency}}", item.find("currency")->text());
      items += r;
    }
    replace_all(s, "{{items}}", items);
    replace_all(s, "{{ctx.order.id}}", order.find("id")->text());
    replace_all(s, "{{ctx.customer.firstName}}", customer.find("firstName")->text());
    replace_all(s, "{{ctx.customer.lastName}}", customer.find("lastName")->text());
    replace_all(s, "{{ctx.order.date}}", order.find("date")->text());
    replace_all(s, "{{ctx.shipping.city}}", ctx.find("shipping")->find("city")->text());
    replace_all(s, "{{ctx.order.total}}", order.find("total")->text());
    replace_all(s, "{{ctx.order.currency}}", order.find("currency")->text());
    replace_all(s, "{{ctx.tracking}}", ctx.find("tracking")->text());
    benchmark::DoNotOptimize(s.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Baseline_FindReplace);

}  // namespace

BENCHMARK_MAIN();
