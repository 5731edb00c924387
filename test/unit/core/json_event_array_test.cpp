#include "core/json_event_array.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using mc::core::JsonError;
using mc::core::JsonEventArray;
using mc::core::JsonKind;
using mc::core::parse_json_event_array;

namespace {

// The views point into text: callers keep it alive (a named string, not a temporary).
JsonEventArray parse_ok(const std::string& text) {
  JsonEventArray a;
  JsonError e;
  EXPECT_TRUE(parse_json_event_array(text, &a, &e)) << text << ": " << e.message;
  return a;
}

JsonError parse_error(const std::string& text) {
  JsonEventArray a;
  JsonError e;
  EXPECT_FALSE(parse_json_event_array(text, &a, &e)) << text;
  return e;
}

}  // namespace

TEST(JsonEventArray, ReadsMembersOfEachObject) {
  const std::string text =
      R"( [ {"type":"t","ctx":{"a":[1,{"b":"}"}]},"externalId":-1.5e3,"x":true,"y":null},)"
      R"({} , 5, "s", [1] ] )";
  auto a = parse_ok(text);
  ASSERT_TRUE(a.is_array);
  ASSERT_EQ(a.elements.size(), 5u);
  EXPECT_TRUE(a.elements[0].is_object);
  EXPECT_EQ(a.elements[0].count, 5u);
  EXPECT_TRUE(a.elements[1].is_object);
  EXPECT_EQ(a.elements[1].count, 0u);
  EXPECT_FALSE(a.elements[2].is_object);
  EXPECT_FALSE(a.elements[3].is_object);
  EXPECT_FALSE(a.elements[4].is_object);
  const auto& m = a.members;
  EXPECT_EQ(m[0].key, "type");
  EXPECT_EQ(m[0].kind, JsonKind::String);
  EXPECT_EQ(m[0].value, "t");
  EXPECT_EQ(m[1].kind, JsonKind::Object);
  EXPECT_EQ(m[1].value, R"({"a":[1,{"b":"}"}]})");
  EXPECT_EQ(m[2].kind, JsonKind::Number);
  EXPECT_EQ(m[2].value, "-1.5e3");
  EXPECT_EQ(m[3].kind, JsonKind::True);
  EXPECT_EQ(m[4].kind, JsonKind::Null);
}

TEST(JsonEventArray, UnescapesStringsAndKeys) {
  const std::string text = R"([{"ty\u0070e":"a\"b\\c\/d\b\f\n\r\t\u00e9\u20ac\ud83d\ude00"}])";
  auto a = parse_ok(text);
  ASSERT_EQ(a.members.size(), 1u);
  EXPECT_EQ(a.members[0].key, "type");
  EXPECT_EQ(a.members[0].value, "a\"b\\c/d\b\f\n\r\t\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
}

TEST(JsonEventArray, NotAnArrayIsValidJsonButSaysSo) {
  JsonEventArray a;
  JsonError e;
  EXPECT_TRUE(parse_json_event_array(R"({"type":"t"})", &a, &e));
  EXPECT_FALSE(a.is_array);
  EXPECT_TRUE(parse_json_event_array("  42 ", &a, &e));
  EXPECT_FALSE(a.is_array);
  EXPECT_TRUE(parse_json_event_array("[]", &a, &e));
  EXPECT_TRUE(a.is_array);
  EXPECT_TRUE(a.elements.empty());
}

TEST(JsonEventArray, RefusesWhatJsonbRefuses) {
  for (const char* bad : {"",
                          "[",
                          "[{]",
                          "[{\"a\":1,}]",
                          "[{\"a\" 1}]",
                          "[1,]",
                          "[01]",
                          "[1.]",
                          "[1e]",
                          "[-]",
                          "[tru]",
                          "[nul]",
                          "[\"a]",
                          "[\"\\x\"]",
                          "[\"\\u12\"]",
                          "[\"\\ud800\"]",
                          "[\"\\udc00\"]",
                          "[{\"a\":{\"b\":[1,2}}]",
                          "[1] 2",
                          "[{'a':1}]",
                          "[\"a\tb\"]",
                          "[{\"a\":1}]]",
                          "[{\"ctx\":{\"a\":[}}]",
                          "[+1]",
                          "[.5]",
                          "[NaN]"})
    EXPECT_EQ(parse_error(bad).kind, JsonError::Syntax) << bad;
  EXPECT_EQ(parse_error(R"([{"a":"x\u0000"}])").kind, JsonError::NulEscape);
  EXPECT_EQ(parse_error(R"([{"a":{"b":"\u0000"}}])").kind, JsonError::NulEscape);
  EXPECT_EQ(parse_error("[1 x]").offset, 3u);
}

TEST(JsonEventArray, DeepNestingCostsNoStack) {
  std::string deep = "[{\"ctx\":" + std::string(100000, '[') + std::string(100000, ']') + "}]";
  auto a = parse_ok(deep);
  ASSERT_EQ(a.members.size(), 1u);
  EXPECT_EQ(a.members[0].kind, JsonKind::Array);
}

TEST(JsonEventArray, MemberOrderIsJsonbsWithTheLastDuplicateKept) {
  const std::string text = R"([{"email":"e","type":"first","ctx":{},"b":1,"type":"last","aa":2}])";
  auto a = parse_ok(text);
  std::vector<std::size_t> order;
  mc::core::jsonb_member_order(a, a.elements[0], &order);
  std::vector<std::string> keys, values;
  for (auto k : order) {
    keys.emplace_back(a.members[k].key);
    values.emplace_back(a.members[k].value);
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"b", "aa", "ctx", "type", "email"}));
  EXPECT_EQ(values[3], "last");
}
