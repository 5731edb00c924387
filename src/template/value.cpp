#include "template/value.hpp"

#include <cstring>

namespace mc::tmpl {
namespace {

std::uint64_t key_tag(std::string_view key) {
  if (key.empty()) return 0;
  return key.size() | static_cast<std::uint64_t>(static_cast<unsigned char>(key.front())) << 32 |
         static_cast<std::uint64_t>(static_cast<unsigned char>(key.back())) << 40;
}

// Keys are short: a few word compares beat a memcmp call or a byte loop.
bool same_bytes(const char* a, const char* b, std::size_t n) {
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

}  // namespace

Value Value::boolean(bool b) {
  Value v;
  v.kind_ = Kind::Bool;
  v.bool_ = b;
  return v;
}

Value Value::number(std::string json_text) {
  Value v;
  v.kind_ = Kind::Number;
  v.text_ = std::move(json_text);
  return v;
}

Value Value::string(std::string s) {
  Value v;
  v.kind_ = Kind::String;
  v.text_ = std::move(s);
  return v;
}

Value Value::object(std::vector<Member> members) {
  Value v;
  v.kind_ = Kind::Object;
  v.members_ = std::move(members);
  v.key_tags_.reserve(v.members_.size());
  for (const Member& m : v.members_) v.key_tags_.push_back(key_tag(m.first));
  return v;
}

Value Value::array(std::vector<Value> items) {
  Value v;
  v.kind_ = Kind::Array;
  v.items_ = std::move(items);
  return v;
}

const Value* Value::find(std::string_view key) const {
  if (kind_ != Kind::Object) return nullptr;
  const std::uint64_t tag = key_tag(key);
  const std::size_t n = key_tags_.size();
  for (std::size_t i = 0; i < n; ++i)
    if (key_tags_[i] == tag) {
      const std::string& k = members_[i].first;
      if (k.size() == key.size() && same_bytes(k.data(), key.data(), key.size()))
        return &members_[i].second;
    }
  return nullptr;
}

Value& Value::set(std::string key, Value value) {
  for (Member& m : members_)
    if (m.first == key) return m.second = std::move(value);
  key_tags_.push_back(key_tag(key));
  members_.emplace_back(std::move(key), std::move(value));
  return members_.back().second;
}

Value& Value::push(Value value) {
  items_.push_back(std::move(value));
  return items_.back();
}

bool ValueSource::lookup(const DataRef& object, std::string_view key, DataRef* out) const {
  const Value* found = get(object).find(key);
  if (found == nullptr) return false;
  *out = ref(*found);
  return true;
}

void ValueSource::append_text(const DataRef& v, std::string& out) const {
  const Value& value = get(v);
  switch (value.kind()) {
    case Kind::String:
    case Kind::Number:
      out.append(value.text());
      return;
    case Kind::Bool:
      out.append(value.bool_value() ? "true" : "false");
      return;
    default:
      return;
  }
}

}  // namespace mc::tmpl
