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

namespace {
std::string nested_sections(int depth) {  // depth sections inside each other, all closed
  std::string s;
  for (int i = 0; i < depth; ++i) s += "{{#a}}";
  s += "x";
  for (int i = 0; i < depth; ++i) s += "{{/a}}";
  return s;
}
}  // namespace

// Closed sections, so that only the nesting limit can refuse them (unclosed ones fail as
// "unclosed section" whatever the limit): at the limit they compile, one deeper they do not.
TEST(Limits, NestingDepthIsBounded) {
  RenderLimits limits;
  ASSERT_EQ(limits.max_nesting, 100);
  EXPECT_NO_THROW(compile(nested_sections(100), limits));
  try {
    compile(nested_sections(101), limits);
    ADD_FAILURE() << "101 nested sections compiled";
  } catch (const TemplateError& e) {
    EXPECT_NE(std::string(e.what()).find("nested deeper than 100"), std::string::npos) << e.what();
    EXPECT_EQ(e.line(), 1);
    EXPECT_EQ(e.column(), 1 + 6 * 100) << "the 101st opening tag";
  }
  limits.max_nesting = 5;
  EXPECT_NO_THROW(compile(nested_sections(5), limits));
  EXPECT_THROW(compile(nested_sections(6), limits), TemplateError);
  EXPECT_THROW(
      compile("{{#a}}{{^b}}{{#c}}{{$d}}{{#e}}{{#f}}{{/f}}{{/e}}{{/d}}{{/c}}{{/b}}{{/a}}", limits),
      TemplateError)
      << "inverted sections and blocks count too";
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

TEST(Limits, NestedListSectionsAreBoundedInSteps) {
  Value list = Value::array();
  for (int i = 0; i < 100; ++i) list.push(Value::number("1"));
  Value data = Value::object({{"a", list}});
  // 100^6 iterations printing nothing: only the step limit stops it.
  EXPECT_THROW(
      render_with("{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}", data),
      TemplateError);
}

TEST(Limits, RenderDepthAcrossPartialsIsBounded) {
  MapPartialResolver partials;
  partials.add("deeper", "{{#t}}{{#t}}{{#t}}{{> deeper}}{{/t}}{{/t}}{{/t}}");
  Value data = Value::object({{"t", Value::boolean(true)}});
  RenderOptions options;
  options.partials = &partials;
  options.limits.max_partial_depth = 1000;
  options.limits.max_render_depth = 50;
  try {
    render_with("{{> deeper}}", data, options);
    ADD_FAILURE();
  } catch (const TemplateError& e) {
    EXPECT_NE(std::string(e.what()).find("nested deeper than 50"), std::string::npos) << e.what();
  }
}

TEST(Render, AppendsAndLeavesOutputAloneOnError) {
  ValueSource src;
  Value data = ctx();
  std::string out = "before:";
  render(*compile("{{n}}"), src, ValueSource::ref(data), RenderOptions(), out);
  EXPECT_EQ(out, "before:42");
  RenderOptions small;
  small.limits.max_output_bytes = 3;
  EXPECT_THROW(render(*compile("{{name}}"), src, ValueSource::ref(data), small, out),
               TemplateError);
  EXPECT_EQ(out, "before:42");
}

TEST(Render, NumbersAndBooleansPrintAsJson) {
  Value data = Value::object({{"f", Value::number("1.5")},
                              {"t", Value::boolean(true)},
                              {"no", Value::boolean(false)},
                              {"nil", Value()}});
  EXPECT_EQ(render_with("{{f}}|{{t}}|{{no}}|{{nil}}|", data), "1.5|true|false||");
}

// The renderer sees data only through DataSource: a source of its own kind (here, every key
// names itself, and lists are three long) renders like any other.
class EchoSource : public DataSource {
 public:
  Kind kind(const DataRef& v) const override { return v.aux == 1 ? Kind::Array : Kind::Object; }
  bool lookup(const DataRef& object, std::string_view key, DataRef* out) const override {
    if (object.aux != 0 && object.aux != 2) return false;
    *out = DataRef{key.data(), key == "list" ? 1u : 3u + key.size()};
    return true;
  }
  std::size_t array_size(const DataRef&) const override { return 3; }
  DataRef array_at(const DataRef&, std::size_t) const override { return DataRef{nullptr, 2}; }
  bool bool_value(const DataRef&) const override { return true; }
  bool string_empty(const DataRef&) const override { return false; }
  void append_text(const DataRef& v, std::string& out) const override {
    if (v.aux >= 3) out.append(static_cast<const char*>(v.p), v.aux - 3);
  }
};

TEST(DataModel, AnyDataSourceRenders) {
  EchoSource echo;
  std::string out;
  render(*compile("{{hello}} {{#list}}<{{x}}>{{/list}}"), echo, DataRef{nullptr, 0},
         RenderOptions(), out);
  EXPECT_EQ(out, "hello <x><x><x>");
}

TEST(Inheritance, BlocksReindentInsidePartials) {
  MapPartialResolver partials;
  partials.add("layout", "<ul>\n  {{$items}}\n  <li>none</li>\n  {{/items}}\n</ul>\n");
  RenderOptions options;
  options.partials = &partials;
  EXPECT_EQ(
      render_with("{{<layout}}\n{{$items}}\n<li>{{n}}</li>\n<li>2</li>\n{{/items}}\n{{/layout}}\n",
                  ctx(), options),
      "<ul>\n  <li>42</li>\n  <li>2</li>\n</ul>\n");
  EXPECT_EQ(render_with("{{<layout}}{{/layout}}", ctx(), options),
            "<ul>\n  <li>none</li>\n</ul>\n");
}

// Each hostile source is refused at compile time with a position inside the source and a
// message; none compiles into something that renders.
TEST(Limits, HostileSourcesFailCleanly) {
  using namespace std::string_literals;
  const std::string sources[] = {
      "{{"s,    "{{{"s,   "{{#"s,   "{{/}}"s, "{{=}}"s,         "{{= a =}}"s, "{{#a}}{{/a}}{{/a}}"s,
      "{{<}}"s, "{{$}}"s, "{{>}}"s, "\0{{x"s, "{{=<% %>=}}<%"s, "{{! x"s};
  for (const std::string& s : sources) {
    try {
      compile(s);
      ADD_FAILURE() << "compiled: " << s;
    } catch (const TemplateError& e) {
      EXPECT_GE(e.line(), 1) << s;
      EXPECT_GE(e.column(), 1) << s;
      EXPECT_LE(static_cast<std::size_t>(e.column()), s.size()) << s;
      EXPECT_STRNE(e.what(), "") << s;
    }
  }
}

namespace {
int stop_after = -1;  // should_stop answers true once it has been asked this many times
int asked = 0;
bool stop_when_told() { return ++asked > stop_after; }
}  // namespace

TEST(Limits, ARenderStopsWhenAskedBetweenNodes) {
  Value list = Value::array();
  for (int i = 0; i < 100; ++i) list.push(Value::number("1"));
  Value data = Value::object({{"a", list}});
  RenderOptions options;
  options.limits.should_stop = stop_when_told;
  // Asked again and again as the render goes (one list of 100: about 100 bodies).
  asked = 0;
  stop_after = 1'000'000;
  EXPECT_EQ(render_with("{{#a}}{{.}}{{/a}}", data, options).size(), 100u);
  EXPECT_GT(asked, 100);
  // Told to stop: RenderInterrupted, not a TemplateError (the event is not at fault).
  asked = 0;
  stop_after = 50;
  try {
    render_with("{{#a}}{{#a}}{{.}}{{/a}}{{/a}}", data, options);
    FAIL() << "the render did not stop";
  } catch (const TemplateError&) {
    FAIL() << "an interrupt is not a template error";
  } catch (const RenderInterrupted&) {
    EXPECT_EQ(asked, 51);
  }
}
