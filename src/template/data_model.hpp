// The data a template renders from, behind one small interface: the plain value model
// (value.hpp) in tests and benchmarks, PostgreSQL's jsonb in the extension, walked in place.
// A DataRef is a copyable handle; lookups never allocate.
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
  // The text of a scalar without a copy, when the source holds it as text.
  virtual bool text_view(const DataRef&, std::string_view*) const { return false; }
};

// Mustache truthiness, as in the JavaScript reference: false, null, "" and [] are falsey.
inline bool truthy(const DataSource& data, const DataRef& value) {
  switch (data.kind(value)) {
    case Kind::Null:
      return false;
    case Kind::Bool:
      return data.bool_value(value);
    case Kind::String:
      return !data.string_empty(value);
    case Kind::Array:
      return data.array_size(value) > 0;
    default:
      return true;
  }
}

}  // namespace mc::tmpl
