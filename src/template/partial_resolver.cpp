#include "template/partial_resolver.hpp"

namespace mc::tmpl {

void MapPartialResolver::add(std::string name, std::string source) {
  compiled_.clear();
  sources_[std::move(name)] = std::move(source);
}

const Template* MapPartialResolver::find(std::string_view name, std::string_view indent) const {
  std::string key;
  key.reserve(name.size() + 1 + indent.size());
  key.append(name).push_back('\0');
  key.append(indent);
  auto cached = compiled_.find(key);
  if (cached != compiled_.end()) return cached->second.get();
  auto source = sources_.find(name);
  if (source == sources_.end()) return nullptr;
  auto compiled = compile(indent_lines(source->second, indent), limits_);
  return compiled_.emplace(std::move(key), std::move(compiled)).first->second.get();
}

}  // namespace mc::tmpl
