// A plain C++ value tree (JSON-like) and its DataSource: the data model of unit tests and
// benchmarks, where there is no jsonb.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "template/data_model.hpp"

namespace mc::tmpl {
namespace detail {

inline std::uint64_t key_tag(std::string_view key) {
  if (key.empty()) return 0;
  return key.size() | static_cast<std::uint64_t>(static_cast<unsigned char>(key.front())) << 32 |
         static_cast<std::uint64_t>(static_cast<unsigned char>(key.back())) << 40;
}

// Keys are short: a few word compares beat a memcmp call or a byte loop.
inline bool same_bytes(const char* a, const char* b, std::size_t n) {
  if (n >= 8) {
    std::uint64_t x, y;
    for (std::size_t i = 0; i + 8 <= n; i += 8) {
      std::memcpy(&x, a + i, 8);
      std::memcpy(&y, b + i, 8);
      if (x != y) return false;
    }
    std::memcpy(&x, a + n - 8, 8);
    std::memcpy(&y, b + n - 8, 8);
    return x == y;
  }
  if (n >= 4) {
    std::uint32_t x1, y1, x2, y2;
    std::memcpy(&x1, a, 4);
    std::memcpy(&y1, b, 4);
    std::memcpy(&x2, a + n - 4, 4);
    std::memcpy(&y2, b + n - 4, 4);
    return x1 == y1 && x2 == y2;
  }
  for (std::size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

}  // namespace detail

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

// Inline: the renderer's hottest call, through ValueSource::lookup.
inline const Value* Value::find(std::string_view key) const {
  if (kind_ != Kind::Object) return nullptr;
  const std::uint64_t tag = detail::key_tag(key);
  const std::size_t n = key_tags_.size();
  for (std::size_t i = 0; i < n; ++i)
    if (key_tags_[i] == tag) {
      const std::string& k = members_[i].first;
      if (k.size() == key.size() && detail::same_bytes(k.data(), key.data(), key.size()))
        return &members_[i].second;
    }
  return nullptr;
}

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
