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
  // The partial `name`, compiled with `indent` before each line; null when there is none.
  virtual const Template* find(std::string_view name, std::string_view indent) const = 0;
};

// Partials from name -> source pairs, compiled on first use (per indentation) and kept.
class MapPartialResolver : public PartialResolver {
 public:
  explicit MapPartialResolver(RenderLimits limits = RenderLimits()) : limits_(limits) {}
  void add(std::string name, std::string source);
  bool contains(std::string_view name) const { return sources_.count(std::string(name)) > 0; }
  const Template* find(std::string_view name, std::string_view indent) const override;

 private:
  RenderLimits limits_;
  std::map<std::string, std::string, std::less<>> sources_;
  mutable std::map<std::string, std::shared_ptr<const Template>, std::less<>> compiled_;
};

}  // namespace mc::tmpl
