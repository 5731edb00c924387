// A template parsed once into a tree of nodes; rendering walks the tree and never re-parses.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "template/render_limits.hpp"

namespace mc::tmpl {

struct Node {
  enum class Type : unsigned char { Text, Variable, Section, Inverted, Partial, Block, Parent };
  Type type = Type::Text;
  bool escaped = true;            // Variable: {{x}} yes, {{{x}}} and {{&x}} no
  bool dynamic = false;           // Partial, Parent: {{>*x}} names the partial through the data
  bool reindent = false;          // Block: stands alone, so what a parent passes gets `indent`
  std::string text;               // Text; the name of a Partial, Block or Parent
  std::vector<std::string> path;  // Variable, Section, Inverted, dynamic names; empty: "."
  std::string indent;             // standalone Partial or Parent: prefix for each of its lines;
                                  // Block: the indentation passed content is re-indented to
  std::vector<Node> children;     // Section, Inverted, Block, Parent
};

class Template {
 public:
  std::vector<Node> nodes;
};

// Parses source; throws TemplateError with the line and column of the offending tag.
std::shared_ptr<const Template> compile(std::string_view source,
                                        const RenderLimits& limits = RenderLimits());

// source with indent before each of its lines, as a standalone partial tag requires.
std::string indent_lines(std::string_view source, std::string_view indent);

}  // namespace mc::tmpl
