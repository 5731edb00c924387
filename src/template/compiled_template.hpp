// A template parsed once into a tree of nodes; rendering walks the tree and never re-parses.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "template/render_limits.hpp"

namespace mc::tmpl {

// All but the last name of a dotted name ({{ctx.order.id}}: ctx.order), one per distinct
// prefix in a template: the renderer remembers what a prefix resolved to while the context
// stack stays as it is, so ten tags under ctx.order look ctx.order up once.
struct PathPrefix {
  std::size_t slot;  // the renderer's cache slot
};

struct Node {
  enum class Type : unsigned char { Text, Variable, Section, Inverted, Partial, Block, Parent };
  Type type = Type::Text;
  bool escaped = true;            // Variable: {{x}} yes, {{{x}}} and {{&x}} no
  bool dynamic = false;           // Partial, Parent: {{>*x}} names the partial through the data
  bool reindent = false;          // Block: stands alone, so what a parent passes gets `indent`
  std::string text;               // Text; the name of a Partial, Block or Parent
  std::vector<std::string> path;  // Variable, Section, Inverted, dynamic names; empty: "."
  const PathPrefix* prefix = nullptr;  // Variable, Section, Inverted with a dotted name
  std::string indent;          // standalone Partial or Parent: prefix for each of its lines;
                               // Block: the indentation passed content is re-indented to
  std::vector<Node> children;  // Section, Inverted, Block, Parent
};

class Template {
 public:
  Template() = default;
  Template(const Template&) = delete;  // nodes point into prefixes
  Template& operator=(const Template&) = delete;

  std::vector<Node> nodes;
  std::deque<PathPrefix> prefixes;  // a deque: nodes hold their addresses
};

// Parses source; throws TemplateError with the line and column of the offending tag.
std::shared_ptr<const Template> compile(std::string_view source,
                                        const RenderLimits& limits = RenderLimits());

// source with indent before each of its lines, as a standalone partial tag requires.
std::string indent_lines(std::string_view source, std::string_view indent);

}  // namespace mc::tmpl
