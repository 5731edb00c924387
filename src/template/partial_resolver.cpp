#include "template/partial_resolver.hpp"

#include "template/template_error.hpp"

namespace mc::tmpl {

void MapPartialResolver::add(std::string name, std::string source) {
  Entry& entry = partials_[std::move(name)];
  entry.source = std::move(source);
  entry.compiled.clear();
}

const Template* MapPartialResolver::find(std::string_view name, std::string_view indent) const {
  auto partial = partials_.find(name);
  if (partial == partials_.end()) return nullptr;
  const Entry& entry = partial->second;
  auto cached = entry.compiled.find(indent);
  if (cached != entry.compiled.end()) return cached->second.get();
  if (!indent.empty()) {
    // Indenting multiplies: refuse before building a source larger than any template may be.
    std::size_t lines = 1;
    for (char c : entry.source) lines += c == '\n';
    if (entry.source.size() + lines * indent.size() > limits_.max_source_bytes)
      throw TemplateError("partial \"" + std::string(name) + "\" indented is larger than " +
                          std::to_string(limits_.max_source_bytes) + " bytes");
  }
  auto compiled = compile(indent_lines(entry.source, indent), limits_);
  return entry.compiled.emplace(std::string(indent), std::move(compiled)).first->second.get();
}

}  // namespace mc::tmpl
