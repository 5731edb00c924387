// Where partials and parents come from: the caller's store of compiled templates.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "template/compiled_template.hpp"

namespace mc::tmpl {

class PartialResolver {
 public:
  virtual ~PartialResolver() = default;
  // The partial `name`, compiled with `indent` before each line (a standalone partial tag's
  // indentation, usually empty); null when there is none. Called on every render of a partial
  // tag, so an implementation should cache and must not allocate on a hit. May throw
  // TemplateError when the partial's source does not compile.
  virtual const Template* find(std::string_view name, std::string_view indent) const = 0;
};

// Partials from name -> source pairs, compiled on first use (per indentation) and kept.
// Not thread-safe: the cache fills in const find (a backend renders on one thread).
class MapPartialResolver : public PartialResolver {
 public:
  explicit MapPartialResolver(RenderLimits limits = RenderLimits()) : limits_(limits) {}
  void add(std::string name, std::string source);
  bool contains(std::string_view name) const { return partials_.find(name) != partials_.end(); }
  const Template* find(std::string_view name, std::string_view indent) const override;

 private:
  struct Entry {
    std::string source;
    // Keyed by indentation; looked up with a string_view, so a hit allocates nothing.
    mutable std::map<std::string, std::shared_ptr<const Template>, std::less<>> compiled;
  };
  RenderLimits limits_;
  std::map<std::string, Entry, std::less<>> partials_;
};

}  // namespace mc::tmpl
