// What the project adds to the specification: escaping per part, compile errors with line and
// column, limits on hostile templates and data, production handling of missing partials.
#include <gtest/gtest.h>

#include <string>

#include "template/compiled_template.hpp"
#include "template/partial_resolver.hpp"
#include "template/template_error.hpp"
#include "template/template_renderer.hpp"
#include "template/value.hpp"

using namespace mc::tmpl;

namespace {
std::string render_with(std::string_view source, const Value& data, RenderOptions options = {}) {
  ValueSource src;
  std::string out;
  render(*compile(source, options.limits), src, ValueSource::ref(data), options, out);
  return out;
}
Value ctx() {
  return Value::object({{"name", Value::string("Ada & <Bob> \"q\" 'a'")},
                        {"n", Value::number("42")},
                        {"items", Value::array({Value::string("x"), Value::string("y")})},
                        {"empty", Value::string("")},
                        {"url", Value::string("a b/c?d=é")}});
}
}  // namespace

TEST(Escape, HtmlPartsEscapeDoubleMustacheOnly) {
  EXPECT_EQ(render_with("{{name}}", ctx()), "Ada &amp; &lt;Bob&gt; &quot;q&quot; &#39;a&#39;");
  EXPECT_EQ(render_with("{{{name}}}|{{& name}}", ctx()),
            "Ada & <Bob> \"q\" 'a'|Ada & <Bob> \"q\" 'a'");
}

TEST(Escape, TextPartsNeverEscape) {
  RenderOptions text;
  text.escape = Escape::None;
  EXPECT_EQ(render_with("{{name}}", ctx(), text), "Ada & <Bob> \"q\" 'a'");
}

TEST(Escape, UrlPartsPercentEncode) {
  RenderOptions url;
  url.escape = Escape::Url;
  EXPECT_EQ(render_with("https://x.example/?q={{url}}&n={{n}}", ctx(), url),
            "https://x.example/?q=a%20b%2Fc%3Fd%3D%C3%A9&n=42");
  EXPECT_EQ(render_with("{{{url}}}", ctx(), url), "a b/c?d=é");
}

TEST(Truthiness, EmptyStringIsFalsey) {
  EXPECT_EQ(render_with("{{#empty}}yes{{/empty}}{{^empty}}no{{/empty}}", ctx()), "no");
  EXPECT_EQ(render_with("{{#n}}{{.}}{{/n}}", ctx()), "42");
}

TEST(CompileErrors, CarryLineAndColumn) {
  struct Case {
    const char* source;
    int line, column;
    const char* words;
  } cases[] = {
      {"a\n  {{#items}}\nb", 2, 3, "unclosed section \"items\""},
      {"{{#a}}x{{/b}}", 1, 8, "does not match the open section \"a\""},
      {"x\ny {{/a}}", 2, 3, "without an open section"},
      {"hello {{name", 1, 7, "unclosed tag"},
      {"{{{name}}", 1, 1, "unclosed tag"},
      {"{{}}", 1, 1, "empty tag"},
      {"{{=<% %>=}}<%#a%>", 1, 12, "unclosed section"},
      {"{{= | =}}", 1, 1, "two delimiters"},
      {"{{=<% =%>=}}", 1, 1, "invalid delimiters"},
  };
  for (const Case& c : cases) {
    try {
      compile(c.source);
      ADD_FAILURE() << "compiled: " << c.source;
    } catch (const TemplateError& e) {
      EXPECT_EQ(e.line(), c.line) << c.source;
      EXPECT_EQ(e.column(), c.column) << c.source;
      EXPECT_NE(std::string(e.what()).find(c.words), std::string::npos) << e.what();
    }
  }
}

TEST(Limits, NestingDepthIsBounded) {
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "{{#a}}";
  EXPECT_THROW(compile(deep), TemplateError);
}

TEST(Limits, RecursivePartialsAreBounded) {
  MapPartialResolver partials;
  partials.add("loop", "x{{> loop}}");
  RenderOptions options;
  options.partials = &partials;
  EXPECT_THROW(render_with("{{> loop}}", ctx(), options), TemplateError);
}

TEST(Limits, OutputSizeIsBounded) {
  Value many = Value::array();
  for (int i = 0; i < 2000; ++i) many.push(Value::number("1"));
  Value data = Value::object({{"many", many}});
  RenderOptions options;
  options.limits.max_output_bytes = 1000;
  EXPECT_THROW(render_with("{{#many}}0123456789{{/many}}", data, options), TemplateError);
  options.limits.max_output_bytes = 100000;
  EXPECT_EQ(render_with("{{#many}}0123456789{{/many}}", data, options).size(), 20000u);
}

TEST(Limits, SourceSizeIsBounded) {
  RenderLimits limits;
  limits.max_source_bytes = 10;
  EXPECT_THROW(compile("01234567890", limits), TemplateError);
}

TEST(Partials, MissingPartialIsAnErrorWhenAsked) {
  RenderOptions options;
  EXPECT_EQ(render_with("a{{> nowhere}}b", ctx(), options), "ab");
  options.missing_partial_is_error = true;
  try {
    render_with("a{{> nowhere}}b", ctx(), options);
    ADD_FAILURE();
  } catch (const TemplateError& e) {
    EXPECT_NE(std::string(e.what()).find("partial \"nowhere\" does not exist"), std::string::npos);
  }
}

TEST(Compile, OnceRenderMany) {
  auto t = compile("{{#items}}<{{.}}>{{/items}}");
  ValueSource src;
  Value data = ctx();
  for (int i = 0; i < 3; ++i) {
    std::string out;
    render(*t, src, ValueSource::ref(data), RenderOptions(), out);
    EXPECT_EQ(out, "<x><y>");
  }
}
