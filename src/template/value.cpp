#include "template/value.hpp"

#include <cstring>

namespace mc::tmpl {

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
  for (const Member& m : v.members_) v.key_tags_.push_back(detail::key_tag(m.first));
  return v;
}

Value Value::array(std::vector<Value> items) {
  Value v;
  v.kind_ = Kind::Array;
  v.items_ = std::move(items);
  return v;
}

Value& Value::set(std::string key, Value value) {
  for (Member& m : members_)
    if (m.first == key) return m.second = std::move(value);
  key_tags_.push_back(detail::key_tag(key));
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
