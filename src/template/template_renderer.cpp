#include "template/template_renderer.hpp"

#include <vector>

#include "template/output_buffer.hpp"
#include "template/template_error.hpp"

namespace mc::tmpl {
namespace {

// The context stack. Real templates nest a few levels, so the first frames live inline and a
// render allocates nothing for them.
class ContextStack {
 public:
  std::size_t size() const { return size_; }
  const DataRef& operator[](std::size_t i) const {
    return i < kInline ? inline_[i] : spill_[i - kInline];
  }
  const DataRef& top() const { return (*this)[size_ - 1]; }
  void push(const DataRef& ref) {
    if (size_ < kInline)
      inline_[size_] = ref;
    else if (size_ - kInline < spill_.size())
      spill_[size_ - kInline] = ref;
    else
      spill_.push_back(ref);
    ++size_;
  }
  void pop() { --size_; }

 private:
  static constexpr std::size_t kInline = 24;
  DataRef inline_[kInline];
  std::vector<DataRef> spill_;
  std::size_t size_ = 0;
};

class Renderer {
 public:
  Renderer(const DataSource& data, const RenderOptions& options, OutputBuffer& out)
      : data_(data), options_(options), limits_(options.limits), out_(out) {}

  void run(const Template& t, const DataRef& root) {
    stack_.push(root);
    render_nodes(t.nodes);
  }

 private:
  void render_nodes(const std::vector<Node>& nodes) {
    steps_ += nodes.size() + 1;  // + 1: an empty section body over a long list costs too
    if (limits_.should_stop && limits_.should_stop()) throw RenderInterrupted();
    if (steps_ > limits_.max_steps)
      throw TemplateError("rendering takes more than " + std::to_string(limits_.max_steps) +
                          " steps (sections over lists nested too deep?)");
    for (const Node& node : nodes) render_node(node);
  }

  // Each nested body rendered goes one level deeper in this renderer's own recursion.
  void render_nested(const std::vector<Node>& nodes) {
    if (++depth_ > limits_.max_render_depth)
      throw TemplateError("sections, blocks and partials nested deeper than " +
                          std::to_string(limits_.max_render_depth) + " while rendering");
    render_nodes(nodes);
    --depth_;
  }

  void render_node(const Node& node) {
    switch (node.type) {
      case Node::Type::Text:
        if (indent_.empty())
          out_.append(node.text);
        else
          append_indented(node.text);
        check_output();
        return;
      case Node::Type::Variable:
        return variable(node);
      case Node::Type::Section:
        return section(node);
      case Node::Type::Inverted: {
        DataRef value;
        if (!resolve(node, &value) || !data_.truthy(value)) render_nested(node.children);
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
  bool resolve(const std::vector<std::string>& path, std::size_t count, DataRef* out) const {
    if (path.empty()) {
      *out = stack_.top();
      return true;
    }
    DataRef value;
    const std::string& first = path[0];
    std::size_t i = stack_.size();
    while (true) {
      if (i == 0) return false;
      --i;
      if (data_.lookup(stack_[i], first, &value)) break;
    }
    for (std::size_t k = 1; k < count; ++k)
      if (!data_.lookup(value, path[k], &value)) return false;
    *out = value;
    return true;
  }

  bool resolve(const Node& node, DataRef* out) {
    if (node.prefix == nullptr) return resolve(node.path, node.path.size(), out);
    PrefixEntry& entry = prefix_cache_[node.prefix->slot % kPrefixSlots];
    if (entry.prefix != node.prefix || entry.epoch != epoch_) {
      entry.prefix = node.prefix;
      entry.epoch = epoch_;
      entry.found = resolve(node.path, node.path.size() - 1, &entry.value);
    }
    return entry.found && data_.lookup(entry.value, node.path.back(), out);
  }

  void variable(const Node& node) {
    DataRef value;
    if (!resolve(node, &value)) return;
    const Escape escape = node.escaped ? options_.escape : Escape::None;
    if (indent_.empty()) {
      append_value(value, escape);
    } else {
      const std::size_t before = out_.size();
      if (line_start_) out_.append(indent_);
      const std::size_t value_start = out_.size();
      append_value(value, escape);
      if (out_.size() == value_start)
        out_.truncate(before);  // nothing printed: the line has not started yet
      else
        line_start_ = false;
    }
    check_output();
  }

  void append_value(const DataRef& value, Escape escape) {
    std::string_view text;
    if (data_.text_view(value, &text)) {
      if (escape == Escape::None ||
          (escape == Escape::Html && text.size() < 16 && html_clean(text)))
        out_.append(text);
      else
        append_escaped(out_, text, escape);
    } else {
      scratch_.clear();
      data_.append_text(value, scratch_);
      append_escaped(out_, scratch_, escape);
    }
  }

  void section(const Node& node) {
    DataRef value;
    if (!resolve(node, &value) || !data_.truthy(value)) return;
    if (data_.kind(value) == Kind::Array) {
      std::size_t n = data_.array_size(value);
      for (std::size_t i = 0; i < n; ++i) push_and_render(data_.array_at(value, i), node);
      return;
    }
    push_and_render(value, node);
  }

  // A new context: what prefixes resolved to no longer holds until it is popped again.
  void push_and_render(const DataRef& context, const Node& node) {
    const std::uint64_t outer = epoch_;
    epoch_ = ++epochs_;
    stack_.push(context);
    render_nested(node.children);
    stack_.pop();
    epoch_ = outer;
  }

  // A partial ({{>name}}), or a parent ({{<name}}) whose blocks override the included ones.
  void include(const Node& node, const Node* parent) {
    std::string dynamic_name;
    std::string_view name = node.text;
    if (node.dynamic) {
      DataRef value;
      if (!resolve(node, &value) || data_.kind(value) != Kind::String) return;
      data_.append_text(value, dynamic_name);
      name = dynamic_name;
    }
    const Template* t = options_.partials ? options_.partials->find(name, node.indent) : nullptr;
    if (t == nullptr) {
      if (options_.missing_partial_is_error)
        throw TemplateError("partial \"" + std::string(name) + "\" does not exist");
      return;
    }
    if (++partial_depth_ > limits_.max_partial_depth)
      throw TemplateError("partials nested deeper than " +
                          std::to_string(limits_.max_partial_depth) +
                          " (a partial that includes itself?)");
    if (parent) overrides_.push_back(parent);
    render_nested(t->nodes);
    if (parent) overrides_.pop_back();
    --partial_depth_;
  }

  // The outermost parent that passes this block wins ("top-level substitutions take precedence").
  void block(const Node& node) {
    for (const Node* parent : overrides_)
      for (const Node& child : parent->children)
        if (child.type == Node::Type::Block && child.text == node.text) {
          if (!node.reindent || node.indent.empty()) return render_nested(child.children);
          // The passed content lost its own indentation when compiled; this block's goes on.
          const std::size_t outer = indent_.size();
          const bool outer_line_start = line_start_;
          const std::size_t written = out_.size();
          indent_.append(node.indent);
          line_start_ = true;
          render_nested(child.children);
          indent_.resize(outer);
          line_start_ = out_.size() == written ? outer_line_start : out_.back() == '\n';
          return;
        }
    render_nested(node.children);
  }

  // Text inside a re-indented block: the indentation before each line that has something.
  void append_indented(std::string_view text) {
    std::size_t from = 0;
    while (from < text.size()) {
      if (line_start_) out_.append(indent_);
      std::size_t nl = text.find('\n', from);
      std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
      out_.append(text.data() + from, end - from);
      line_start_ = nl != std::string_view::npos;
      from = end;
      check_output();  // each line adds the indentation: a short text can grow large
    }
  }

  void check_output() const {
    if (out_.size() > limits_.max_output_bytes)
      throw TemplateError("rendered output larger than " +
                          std::to_string(limits_.max_output_bytes) + " bytes");
  }

  const DataSource& data_;
  const RenderOptions& options_;
  const RenderLimits& limits_;
  OutputBuffer& out_;
  ContextStack stack_;
  struct PrefixEntry {
    const PathPrefix* prefix = nullptr;
    std::uint64_t epoch = 0;
    DataRef value;
    bool found = false;
  };
  static constexpr std::size_t kPrefixSlots = 16;
  PrefixEntry prefix_cache_[kPrefixSlots];
  std::uint64_t epoch_ = 0, epochs_ = 0;
  std::string indent_;  // re-indentation of the blocks being expanded; empty nearly always
  bool line_start_ = false;
  std::vector<const Node*> overrides_;
  std::string scratch_;
  std::size_t steps_ = 0;
  int depth_ = 0;
  int partial_depth_ = 0;
};

// Reused by every render on the thread; a render that starts while another one is under way
// on the same thread (a data source that renders) gets a buffer of its own.
// A rare large render does not pin its memory for the rest of the backend's life.
constexpr std::size_t kKeptBufferBytes = 256 * 1024;
thread_local OutputBuffer thread_buffer;
thread_local bool thread_buffer_busy = false;

void render_into(OutputBuffer& buffer, const Template& t, const DataSource& data,
                 const DataRef& root, const RenderOptions& options, std::string& out) {
  buffer.clear();
  Renderer(data, options, buffer).run(t, root);
  out.append(buffer.data(), buffer.size());
  buffer.release_if_larger_than(kKeptBufferBytes);
}

}  // namespace

void render(const Template& t, const DataSource& data, const DataRef& root,
            const RenderOptions& options, std::string& out) {
  if (thread_buffer_busy) {
    OutputBuffer own;
    render_into(own, t, data, root, options, out);
    return;
  }
  thread_buffer_busy = true;
  try {
    render_into(thread_buffer, t, data, root, options, out);
  } catch (...) {
    thread_buffer_busy = false;
    throw;
  }
  thread_buffer_busy = false;
}

}  // namespace mc::tmpl
