// Test and benchmark support: a JSON document (nlohmann-json, test side only) as the template
// engine's plain value model.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "template/value.hpp"

namespace mc::test {

inline tmpl::Value json_to_value(const nlohmann::json& j) {
  using tmpl::Value;
  switch (j.type()) {
    case nlohmann::json::value_t::null:
      return Value();
    case nlohmann::json::value_t::boolean:
      return Value::boolean(j.get<bool>());
    case nlohmann::json::value_t::string:
      return Value::string(j.get<std::string>());
    case nlohmann::json::value_t::array: {
      Value v = Value::array();
      for (const auto& item : j) v.push(json_to_value(item));
      return v;
    }
    case nlohmann::json::value_t::object: {
      Value v = Value::object();
      for (auto it = j.begin(); it != j.end(); ++it) v.set(it.key(), json_to_value(it.value()));
      return v;
    }
    default:
      return Value::number(j.dump());  // numbers keep their JSON text
  }
}

}  // namespace mc::test
