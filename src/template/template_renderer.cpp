#include "template/template_renderer.hpp"

#include <vector>

#include "template/template_error.hpp"

namespace mc::tmpl {
namespace {

class Renderer {
 public:
  Renderer(const DataSource& data, const RenderOptions& options, std::string& out)
      : data_(data), options_(options), out_(out), start_(out.size()) {}

  void run(const Template& t, const DataRef& root) {
    stack_.reserve(16);
    stack_.push_back(root);
    render_nodes(t.nodes);
  }

 private:
  void render_nodes(const std::vector<Node>& nodes) {
    for (const Node& node : nodes) render_node(node);
  }

  void render_node(const Node& node) {
    switch (node.type) {
      case Node::Type::Text:
        out_.append(node.text);
        check_output();
        return;
      case Node::Type::Variable:
        return variable(node);
      case Node::Type::Section:
        return section(node);
      case Node::Type::Inverted: {
        DataRef value;
        if (!resolve(node.path, &value) || !truthy(data_, value)) render_nodes(node.children);
        return;
      }
      case Node::Type::Partial:
        return include(node, nullptr);
      case Node::Type::Parent:
        return include(node, &node);
      case Node::Type::Block:
        return block(node);
    }
  }

  // The first name through the context stack, the rest of a dotted name inside what it found.
  bool resolve(const std::vector<std::string>& path, DataRef* out) const {
    if (path.empty()) {
      *out = stack_.back();
      return true;
    }
    DataRef value;
    bool found = false;
    for (std::size_t i = stack_.size(); i-- > 0;)
      if (data_.lookup(stack_[i], path[0], &value)) {
        found = true;
        break;
      }
    if (!found) return false;
    for (std::size_t k = 1; k < path.size(); ++k)
      if (!data_.lookup(value, path[k], &value)) return false;
    *out = value;
    return true;
  }

  void variable(const Node& node) {
    DataRef value;
    if (!resolve(node.path, &value)) return;
    std::string_view text;
    if (!node.escaped || options_.escape == Escape::None) {
      data_.append_text(value, out_);
    } else if (data_.text_view(value, &text)) {
      append_escaped(out_, text, options_.escape);
    } else {
      scratch_.clear();
      data_.append_text(value, scratch_);
      append_escaped(out_, scratch_, options_.escape);
    }
    check_output();
  }

  void section(const Node& node) {
    DataRef value;
    if (!resolve(node.path, &value) || !truthy(data_, value)) return;
    if (data_.kind(value) == Kind::Array) {
      std::size_t n = data_.array_size(value);
      for (std::size_t i = 0; i < n; ++i) {
        stack_.push_back(data_.array_at(value, i));
        render_nodes(node.children);
        stack_.pop_back();
      }
      return;
    }
    stack_.push_back(value);
    render_nodes(node.children);
    stack_.pop_back();
  }

  // A partial ({{>name}}), or a parent ({{<name}}) whose blocks override the included ones.
  void include(const Node& node, const Node* parent) {
    std::string dynamic_name;
    std::string_view name = node.text;
    if (node.dynamic) {
      DataRef value;
      if (!resolve(node.path, &value) || data_.kind(value) != Kind::String) return;
      data_.append_text(value, dynamic_name);
      name = dynamic_name;
    }
    const Template* t = options_.partials ? options_.partials->find(name, node.indent) : nullptr;
    if (t == nullptr) {
      if (options_.missing_partial_is_error)
        throw TemplateError("partial \"" + std::string(name) + "\" does not exist");
      return;
    }
    if (++depth_ > options_.limits.max_partial_depth)
      throw TemplateError("partials nested deeper than " +
                          std::to_string(options_.limits.max_partial_depth) +
                          " (a partial that includes itself?)");
    if (parent) overrides_.push_back(parent);
    render_nodes(t->nodes);
    if (parent) overrides_.pop_back();
    --depth_;
  }

  // The outermost parent that passes this block wins ("top-level substitutions take precedence").
  void block(const Node& node) {
    for (const Node* parent : overrides_)
      for (const Node& child : parent->children)
        if (child.type == Node::Type::Block && child.text == node.text) {
          render_nodes(child.children);
          return;
        }
    render_nodes(node.children);
  }

  void check_output() const {
    if (out_.size() - start_ > options_.limits.max_output_bytes)
      throw TemplateError("rendered output larger than " +
                          std::to_string(options_.limits.max_output_bytes) + " bytes");
  }

  const DataSource& data_;
  const RenderOptions& options_;
  std::string& out_;
  std::size_t start_;
  std::vector<DataRef> stack_;
  std::vector<const Node*> overrides_;
  std::string scratch_;
  int depth_ = 0;
};

}  // namespace

void render(const Template& t, const DataSource& data, const DataRef& root,
            const RenderOptions& options, std::string& out) {
  Renderer(data, options, out).run(t, root);
}

}  // namespace mc::tmpl
