// The Mustache parser: tags, set delimiters, standalone lines, sections, partials, blocks and
// parents, per the specification in shared/conformance/mustache-spec. Written by hand: no
// Debian-packaged C++ Mustache library compiles once into a tree over an abstract data model.
#include <algorithm>

#include "template/compiled_template.hpp"
#include "template/template_error.hpp"

namespace mc::tmpl {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (is_blank(s.front()) || s.front() == '\n' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (is_blank(s.back()) || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string> split_path(std::string_view name) {
  std::vector<std::string> path;
  if (name == ".") return path;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = name.find('.', start);
    path.emplace_back(name.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return path;
}

class Parser {
 public:
  Parser(std::string_view source, const RenderLimits& limits) : src_(source), limits_(limits) {}

  std::shared_ptr<const Template> parse() {
    auto result = std::make_shared<Template>();
    frames_.push_back(Frame{&result->nodes, {}, 0});
    std::size_t text_start = 0, pos = 0, last_tag_end = 0;
    while (true) {
      std::size_t tag = src_.find(open_, pos);
      if (tag == std::string_view::npos) {
        add_text(text_start, src_.size());
        break;
      }
      std::size_t content_start = tag + open_.size();
      bool triple = open_ == "{{" && content_start < src_.size() && src_[content_start] == '{';
      std::size_t close_at;
      std::string_view content;
      std::size_t end;
      if (triple) {
        close_at = src_.find("}" + close_, content_start + 1);
        if (close_at == std::string_view::npos) fail("unclosed tag {{{", tag);
        content = src_.substr(content_start + 1, close_at - content_start - 1);
        end = close_at + 1 + close_.size();
      } else {
        close_at = src_.find(close_, content_start);
        if (close_at == std::string_view::npos) fail("unclosed tag " + open_, tag);
        content = src_.substr(content_start, close_at - content_start);
        end = close_at + close_.size();
      }
      std::string_view body = trim(content);
      char sigil = triple ? '&' : (body.empty() ? '\0' : body.front());
      bool standalone_kind =
          std::string_view("#^/!>=<$").find(sigil) != std::string_view::npos && sigil != '\0';
      if (standalone_kind && !triple) body = trim(body.substr(1));

      // A tag alone on its line (but for whitespace) takes the whole line with it.
      std::size_t line_start = tag;
      while (line_start > 0 && src_[line_start - 1] != '\n') --line_start;
      bool standalone = false;
      std::size_t after = end;
      if (standalone_kind && last_tag_end <= line_start &&
          std::all_of(src_.begin() + line_start, src_.begin() + tag, is_blank)) {
        std::size_t k = end;
        while (k < src_.size() && is_blank(src_[k])) ++k;
        if (k == src_.size()) {
          standalone = true;
          after = k;
        } else if (src_[k] == '\n') {
          standalone = true;
          after = k + 1;
        } else if (src_[k] == '\r' && k + 1 < src_.size() && src_[k + 1] == '\n') {
          standalone = true;
          after = k + 2;
        }
      }
      std::string indent;
      if (standalone) {
        add_text(text_start, line_start);
        indent.assign(src_.substr(line_start, tag - line_start));
        text_start = after;
      } else {
        add_text(text_start, tag);
        text_start = end;
      }
      pos = standalone ? after : end;
      last_tag_end = pos;
      handle_tag(sigil, triple, body, tag, std::move(indent));
    }
    if (frames_.size() > 1) {
      const Frame& open = frames_.back();
      fail("unclosed section \"" + open.name + "\"", open.position);
    }
    return result;
  }

 private:
  struct Frame {
    std::vector<Node>* nodes;
    std::string name;
    std::size_t position;
  };

  [[noreturn]] void fail(const std::string& message, std::size_t position) const {
    int line = 1, column = 1;
    for (std::size_t i = 0; i < position && i < src_.size(); ++i) {
      if (src_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    throw TemplateError(message, line, column);
  }

  void add_text(std::size_t from, std::size_t to) {
    if (to <= from) return;
    std::vector<Node>& nodes = *frames_.back().nodes;
    if (!nodes.empty() && nodes.back().type == Node::Type::Text) {
      nodes.back().text.append(src_.substr(from, to - from));
      return;
    }
    Node node;
    node.type = Node::Type::Text;
    node.text.assign(src_.substr(from, to - from));
    nodes.push_back(std::move(node));
  }

  Node& push_node(Node::Type type) {
    std::vector<Node>& nodes = *frames_.back().nodes;
    nodes.emplace_back();
    nodes.back().type = type;
    return nodes.back();
  }

  void open_frame(Node& node, std::string_view name, std::size_t position) {
    if (static_cast<int>(frames_.size()) > limits_.max_nesting)
      fail("sections nested deeper than " + std::to_string(limits_.max_nesting), position);
    frames_.push_back(Frame{&node.children, std::string(name), position});
  }

  void require_name(std::string_view name, std::size_t position) const {
    if (name.empty()) fail("empty tag", position);
    for (char c : name)
      if (is_blank(c) || c == '\n')
        fail("a tag name contains whitespace: \"" + std::string(name) + "\"", position);
  }

  void handle_tag(char sigil, bool triple, std::string_view body, std::size_t position,
                  std::string indent) {
    switch (sigil) {
      case '!':
        return;
      case '=': {
        if (body.empty() || body.back() != '=')
          fail("a set-delimiter tag must end with =", position);
        std::string_view inner = trim(body.substr(0, body.size() - 1));
        std::size_t space = inner.find_first_of(" \t");
        if (space == std::string_view::npos)
          fail("a set-delimiter tag needs two delimiters", position);
        std::string_view open = inner.substr(0, space);
        std::string_view close = trim(inner.substr(space));
        if (open.empty() || close.empty() ||
            close.find_first_of(" \t=") != std::string_view::npos ||
            open.find('=') != std::string_view::npos)
          fail("invalid delimiters \"" + std::string(inner) + "\"", position);
        open_.assign(open);
        close_.assign(close);
        return;
      }
      case '#':
      case '^': {
        require_name(body, position);
        Node& node = push_node(sigil == '#' ? Node::Type::Section : Node::Type::Inverted);
        node.path = split_path(body);
        open_frame(node, body, position);
        return;
      }
      case '$':
      case '<': {
        require_name(dynamic_trimmed(body), position);
        Node& node = push_node(sigil == '$' ? Node::Type::Block : Node::Type::Parent);
        set_name(node, body);
        node.indent = std::move(indent);
        open_frame(node, body, position);
        return;
      }
      case '/': {
        require_name(body, position);
        if (frames_.size() == 1)
          fail("closing tag \"" + std::string(body) + "\" without an open section", position);
        if (frames_.back().name != body)
          fail("closing tag \"" + std::string(body) + "\" does not match the open section \"" +
                   frames_.back().name + "\"",
               position);
        frames_.pop_back();
        return;
      }
      case '>': {
        require_name(dynamic_trimmed(body), position);
        Node& node = push_node(Node::Type::Partial);
        set_name(node, body);
        node.indent = std::move(indent);
        return;
      }
      case '&':
        if (!triple) body = trim(body.substr(1));
        [[fallthrough]];
      default: {
        require_name(body, position);
        Node& node = push_node(Node::Type::Variable);
        node.escaped = sigil != '&';
        node.path = split_path(body);
        return;
      }
    }
  }

  // "* name" names the partial through the data; the space after * is padding.
  static std::string_view dynamic_trimmed(std::string_view name) {
    return !name.empty() && name.front() == '*' ? trim(name.substr(1)) : name;
  }

  static void set_name(Node& node, std::string_view name) {
    if (!name.empty() && name.front() == '*') {
      node.dynamic = true;
      node.path = split_path(trim(name.substr(1)));
    }
    node.text.assign(name);
  }

  std::string_view src_;
  const RenderLimits& limits_;
  std::string open_ = "{{", close_ = "}}";
  std::vector<Frame> frames_;
};

}  // namespace

std::shared_ptr<const Template> compile(std::string_view source, const RenderLimits& limits) {
  if (source.size() > limits.max_source_bytes)
    throw TemplateError("template larger than " + std::to_string(limits.max_source_bytes) +
                        " bytes");
  return Parser(source, limits).parse();
}

std::string indent_lines(std::string_view source, std::string_view indent) {
  if (indent.empty()) return std::string(source);
  std::string out;
  out.reserve(source.size() + indent.size() * 4);
  bool line_start = true;
  for (char c : source) {
    if (line_start) out.append(indent);
    out.push_back(c);
    line_start = c == '\n';
  }
  return out;
}

}  // namespace mc::tmpl
