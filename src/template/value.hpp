// A plain C++ value tree (JSON-like) and its DataSource: the data model of unit tests and
// benchmarks, where there is no jsonb.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "template/data_model.hpp"

namespace mc::tmpl {

class Value {
 public:
  using Member = std::pair<std::string, Value>;
  Value() = default;  // null
  static Value boolean(bool b);
  static Value number(std::string json_text);  // kept as written: 1.21 prints as 1.21
  static Value string(std::string s);
  static Value object(std::vector<Member> members = {});
  static Value array(std::vector<Value> items = {});

  Kind kind() const { return kind_; }
  bool bool_value() const { return bool_; }
  const std::string& text() const { return text_; }  // string, or number's JSON text
  const std::vector<Member>& members() const { return members_; }
  const std::vector<Value>& items() const { return items_; }
  const Value* find(std::string_view key) const;
  Value& set(std::string key, Value value);  // objects: adds or replaces a member
  Value& push(Value value);                  // arrays

 private:
  Kind kind_ = Kind::Null;
  bool bool_ = false;
  std::string text_;
  std::vector<Member> members_;
  // One word per member (its length, first and last byte), scanned before any key is compared:
  // contiguous, so a lookup touches one cache line instead of every member's string.
  std::vector<std::uint64_t> key_tags_;
  std::vector<Value> items_;
};

class ValueSource : public DataSource {
 public:
  static DataRef ref(const Value& v) { return DataRef{&v, 0}; }
  Kind kind(const DataRef& v) const override { return get(v).kind(); }
  bool lookup(const DataRef& object, std::string_view key, DataRef* out) const override;
  std::size_t array_size(const DataRef& v) const override { return get(v).items().size(); }
  DataRef array_at(const DataRef& v, std::size_t i) const override {
    return ref(get(v).items()[i]);
  }
  bool bool_value(const DataRef& v) const override { return get(v).bool_value(); }
  bool string_empty(const DataRef& v) const override { return get(v).text().empty(); }
  void append_text(const DataRef& v, std::string& out) const override;
  bool text_view(const DataRef& v, std::string_view* out) const override {
    const Value& value = get(v);
    if (value.kind() != Kind::String && value.kind() != Kind::Number) return false;
    *out = value.text();
    return true;
  }

 private:
  static const Value& get(const DataRef& v) { return *static_cast<const Value*>(v.p); }
};

}  // namespace mc::tmpl
