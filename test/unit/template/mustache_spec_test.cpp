// The official Mustache specification, read at run time from shared/conformance/mustache-spec
// (never copied here): one test per case. Fails if a file is missing or the case count changes.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "template/compiled_template.hpp"
#include "template/partial_resolver.hpp"
#include "template/template_error.hpp"
#include "template/template_renderer.hpp"
#include "template/value.hpp"
#include "support/json_to_value.hpp"

using mc::tmpl::Value;

namespace {

struct SpecCase {
  std::string file, name, desc, template_source, expected;
  nlohmann::json data, partials;
};

std::string spec_dir() {
  const char* env = std::getenv("MC_MUSTACHE_SPEC_DIR");
  return env ? env : MC_MUSTACHE_SPEC_DIR;
}

// Names the case instead of dumping its bytes in failure messages.
void PrintTo(const SpecCase& c, std::ostream* os) { *os << c.file << ": " << c.name; }

const std::vector<std::string> kRequired = {"interpolation", "sections",   "inverted",
                                            "comments",      "delimiters", "partials"};
const std::vector<std::string> kOptional = {"~inheritance", "~dynamic-names"};

std::vector<SpecCase> load(const std::vector<std::string>& files) {
  std::vector<SpecCase> cases;
  for (const auto& file : files) {
    std::ifstream in(spec_dir() + "/" + file + ".json");
    if (!in) {
      cases.push_back({file, "MISSING_FILE", "", "", "", nullptr, nullptr});
      continue;
    }
    nlohmann::json doc = nlohmann::json::parse(in);
    for (const auto& t : doc["tests"])
      cases.push_back({file, t["name"], t["desc"], t["template"], t["expected"], t["data"],
                       t.contains("partials") ? t["partials"] : nlohmann::json::object()});
  }
  return cases;
}

std::string render_case(const SpecCase& c) {
  mc::tmpl::MapPartialResolver partials;
  for (auto it = c.partials.begin(); it != c.partials.end(); ++it)
    partials.add(it.key(), it.value().get<std::string>());
  Value data = mc::test::json_to_value(c.data);
  mc::tmpl::ValueSource source;
  mc::tmpl::RenderOptions options;
  options.partials = &partials;
  std::string out;
  mc::tmpl::render(*mc::tmpl::compile(c.template_source), source, mc::tmpl::ValueSource::ref(data),
                   options, out);
  return out;
}

class RequiredSpec : public testing::TestWithParam<SpecCase> {};
class OptionalSpec : public testing::TestWithParam<SpecCase> {};

TEST_P(RequiredSpec, Renders) {
  const SpecCase& c = GetParam();
  ASSERT_NE(c.name, "MISSING_FILE") << spec_dir() << "/" << c.file << ".json is missing";
  EXPECT_EQ(render_case(c), c.expected) << c.desc << "\ntemplate: " << c.template_source;
}

TEST_P(OptionalSpec, Renders) {
  const SpecCase& c = GetParam();
  ASSERT_NE(c.name, "MISSING_FILE") << spec_dir() << "/" << c.file << ".json is missing";
  EXPECT_EQ(render_case(c), c.expected) << c.desc << "\ntemplate: " << c.template_source;
}

std::string case_name(const testing::TestParamInfo<SpecCase>& info) {
  std::string name = info.param.file + "_" + info.param.name;
  for (char& ch : name)
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name + "_" + std::to_string(info.index);
}

INSTANTIATE_TEST_SUITE_P(Mustache, RequiredSpec, testing::ValuesIn(load(kRequired)), case_name);
INSTANTIATE_TEST_SUITE_P(Mustache, OptionalSpec, testing::ValuesIn(load(kOptional)), case_name);

TEST(MustacheSpecSuite, HasEveryCase) {
  EXPECT_EQ(load(kRequired).size(), 136u);
  EXPECT_EQ(load(kOptional).size(), 48u);
}

}  // namespace
