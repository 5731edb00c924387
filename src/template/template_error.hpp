// Why a template cannot be compiled (with its line and column) or rendered.
#pragma once

#include <stdexcept>
#include <string>

namespace mc::tmpl {

class TemplateError : public std::runtime_error {
 public:
  // line and column are 1-based; 0 when the error has no position (a render limit).
  TemplateError(const std::string& message, int line = 0, int column = 0)
      : std::runtime_error(line > 0 ? "line " + std::to_string(line) + ", column " +
                                          std::to_string(column) + ": " + message
                                    : message),
        line_(line),
        column_(column) {}
  int line() const { return line_; }
  int column() const { return column_; }

 private:
  int line_, column_;
};

// A render stopped because RenderLimits::should_stop said so: not the template's fault, so
// not a TemplateError (callers that fail one event on a TemplateError let this one through).
class RenderInterrupted : public std::runtime_error {
 public:
  RenderInterrupted() : std::runtime_error("rendering interrupted") {}
};

}  // namespace mc::tmpl
