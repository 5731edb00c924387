#include "template/template_renderer.hpp"

#include <cstring>
#include <memory>
#include <vector>

#include "template/template_error.hpp"

namespace mc::tmpl {
namespace {

// The output of one render, appended to with inline memcpy (std::string::append is an
// out-of-line call per tag), and handed to the caller's string once at the end. One per thread,
// reused, so that rendering allocates nothing in the steady state.
class Buffer {
 public:
  void reset() { len_ = 0; }
  std::size_t size() const { return len_; }
  const char* data() const { return data_.get(); }
  void append(const char* p, std::size_t n) {
    if (len_ + n > cap_) grow(n);
    std::memcpy(data_.get() + len_, p, n);
    len_ += n;
  }
  void append(std::string_view s) { append(s.data(), s.size()); }

 private:
  void grow(std::size_t n) {
    std::size_t cap = cap_ ? cap_ * 2 : 8192;
    while (cap < len_ + n) cap *= 2;
    std::unique_ptr<char[]> bigger(new char[cap]);
    if (len_) std::memcpy(bigger.get(), data_.get(), len_);
    data_ = std::move(bigger);
    cap_ = cap;
  }
  std::unique_ptr<char[]> data_;
  std::size_t cap_ = 0, len_ = 0;
};

thread_local Buffer buffer;

struct HtmlSpecialTable {
  bool special[256] = {};
  constexpr HtmlSpecialTable() {
    for (unsigned char c : {'&', '<', '>', '"', '\''}) special[c] = true;
  }
};
constexpr HtmlSpecialTable kHtml;

bool html_special(char c) { return kHtml.special[static_cast<unsigned char>(c)]; }

void append_html(Buffer& out, std::string_view text) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!html_special(text[i])) continue;
    out.append(text.data() + start, i - start);
    switch (text[i]) {
      case '&':
        out.append("&amp;", 5);
        break;
      case '<':
        out.append("&lt;", 4);
        break;
      case '>':
        out.append("&gt;", 4);
        break;
      case '"':
        out.append("&quot;", 6);
        break;
      default:
        out.append("&#39;", 5);
        break;
    }
    start = i + 1;
  }
  out.append(text.data() + start, text.size() - start);
}

class Renderer {
 public:
  Renderer(const DataSource& data, const RenderOptions& options, Buffer& out)
      : data_(data), options_(options), out_(out) {}

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
    if (data_.text_view(value, &text)) {
      if (!node.escaped || options_.escape == Escape::None)
        out_.append(text);
      else if (options_.escape == Escape::Html)
        append_html(out_, text);
      else
        append_other(text);
    } else {
      scratch_.clear();
      data_.append_text(value, scratch_);
      if (!node.escaped || options_.escape == Escape::None)
        out_.append(scratch_);
      else
        append_other(scratch_);
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

  // Escapes other than HTML go through the shared escaping code.
  void append_other(std::string_view text) {
    if (options_.escape == Escape::Html) return append_html(out_, text);
    escaped_.clear();
    append_escaped(escaped_, text, options_.escape);
    out_.append(escaped_);
  }

  void check_output() const {
    if (out_.size() > options_.limits.max_output_bytes)
      throw TemplateError("rendered output larger than " +
                          std::to_string(options_.limits.max_output_bytes) + " bytes");
  }

  const DataSource& data_;
  const RenderOptions& options_;
  Buffer& out_;
  std::vector<DataRef> stack_;
  std::vector<const Node*> overrides_;
  std::string scratch_, escaped_;
  int depth_ = 0;
};

}  // namespace

void render(const Template& t, const DataSource& data, const DataRef& root,
            const RenderOptions& options, std::string& out) {
  buffer.reset();
  Renderer(data, options, buffer).run(t, root);
  out.append(buffer.data(), buffer.size());
}

}  // namespace mc::tmpl
