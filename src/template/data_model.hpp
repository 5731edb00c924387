// The data a template renders from, behind one small interface: the plain value model
// (value.hpp) in tests and benchmarks, PostgreSQL's jsonb in the extension, walked in place.
// A DataRef is a copyable handle whose meaning belongs to the DataSource that made it; the
// renderer only stores and passes them back. One DataSource serves one render call.
//
// What an implementation must guarantee:
//  - No allocation and no exception in kind, lookup, array_size, array_at, bool_value,
//    string_empty, truthy and text_view: the renderer calls them in its inner loop.
//  - lookup is exact, byte-wise, case-sensitive member access on objects; it returns false for
//    anything that is not an object. Duplicate keys: any one of them (jsonb keeps the last).
//  - append_text appends a scalar as Mustache prints it: strings as they are (unescaped; the
//    renderer escapes), numbers as their JSON text (42, 1.5), true/false, nothing for null,
//    objects and arrays. It may allocate (out grows) and may throw (the jsonb source converts a
//    PostgreSQL error); the render then stops with that exception.
//  - DataRefs stay valid for the whole render call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mc::tmpl {

enum class Kind : std::uint8_t { Null, Bool, Number, String, Object, Array };

struct DataRef {
  const void* p = nullptr;
  std::uint64_t aux = 0;
};

class DataSource {
 public:
  virtual ~DataSource() = default;
  virtual Kind kind(const DataRef& value) const = 0;
  // The member `key` of an object; false when value is no object or has no such member.
  virtual bool lookup(const DataRef& object, std::string_view key, DataRef* out) const = 0;
  virtual std::size_t array_size(const DataRef& array) const = 0;
  virtual DataRef array_at(const DataRef& array, std::size_t index) const = 0;
  virtual bool bool_value(const DataRef& value) const = 0;
  virtual bool string_empty(const DataRef& value) const = 0;
  // The text of a scalar as Mustache prints it: strings as they are, numbers as their JSON
  // text, true/false; nothing for null, objects and arrays.
  virtual void append_text(const DataRef& value, std::string& out) const = 0;
  // The text of a string or number without a copy, when the source holds it as text; lets the
  // renderer escape straight from the source instead of through a scratch buffer.
  virtual bool text_view(const DataRef&, std::string_view*) const { return false; }
  // Mustache truthiness, as in the JavaScript reference: false, null, "" and [] are falsey;
  // numbers (0 included), objects (empty included) and non-empty strings are truthy.
  // Overridable when a source can answer in one step.
  virtual bool truthy(const DataRef& value) const {
    switch (kind(value)) {
      case Kind::Null:
        return false;
      case Kind::Bool:
        return bool_value(value);
      case Kind::String:
        return !string_empty(value);
      case Kind::Array:
        return array_size(value) > 0;
      default:
        return true;
    }
  }
};

inline bool truthy(const DataSource& data, const DataRef& value) { return data.truthy(value); }

}  // namespace mc::tmpl
