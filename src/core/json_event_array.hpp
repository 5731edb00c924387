// Reads a JSON array of event objects from its text in one pass, without building a document:
// each element's members as (key, value) with strings unescaped, numbers as their literal, and
// nested objects and arrays as their raw text (the caller parses ctx alone). The whole text is
// checked as JSON (RFC 8259: structure, string escapes, number syntax, no control character in
// a string), as PostgreSQL's json/jsonb input does, including its refusal of \u0000.
// PG-free: used by mc.push_events_json (src/intake/push_functions.cpp), unit-tested alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mc::core {

enum class JsonKind { String, Number, True, False, Null, Object, Array };

struct JsonMember {
  std::string_view key;  // unescaped
  JsonKind kind;
  std::string_view value;  // String: unescaped; Number: the literal; Object/Array: raw text
  std::size_t order;       // position among the object's members, for duplicate keys
};

struct JsonElement {
  bool is_object;
  std::size_t first, count;  // its members in JsonEventArray::members (objects only)
};

struct JsonError {
  enum Kind { None, Syntax, NulEscape };
  Kind kind = None;
  std::size_t offset = 0;  // byte offset in the text
  std::string message;
};

struct JsonEventArray {
  bool is_array = false;  // the text is valid JSON; false if its root is not an array
  std::vector<JsonElement> elements;
  std::vector<JsonMember> members;
  std::string unescaped;  // storage of unescaped strings (reserved up front: views stay valid)
};

// Parses text; false with *error set if it is not valid JSON. out's views point into text or
// into out->unescaped: keep both alive while they are used.
bool parse_json_event_array(std::string_view text, JsonEventArray* out, JsonError* error);

// The members of one object as a jsonb object holds them: one per key (the last of duplicates
// wins), ordered by key length, then bytes. Returns the positions in array.members.
void jsonb_member_order(const JsonEventArray& array, const JsonElement& element,
                        std::vector<std::size_t>* order);

}  // namespace mc::core
