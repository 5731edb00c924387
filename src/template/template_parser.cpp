// The Mustache parser: tags, set delimiters, standalone lines, sections, partials, blocks and
// parents, per the specification in shared/conformance/mustache-spec. Written by hand: no
// Debian-packaged C++ Mustache library compiles once into a tree over an abstract data model.
#include <algorithm>
#include <map>

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
    template_ = result.get();
    frames_.push_back(Frame{&result->nodes, nullptr, {}, 0, {}, 0});
    std::size_t text_start = 0, pos = 0, last_tag_end = 0;
    while (true) {
      std::size_t tag = src_.find(open_, pos);
      if (tag == std::string_view::npos) {
        add_text(text_start, src_.size());
        break;
      }
      Tag t = read_tag(tag);
      if (t.end == std::string_view::npos)
        fail(t.triple ? "unclosed tag {{{" : "unclosed tag " + open_, tag);
      advance_line_start(tag);

      // A line of nothing but whitespace and tags that print nothing (sections, comments,
      // partials, blocks, parents...) disappears whole: its indentation, the whitespace between
      // the tags, and its line end. A partial or parent on it takes the indentation along.
      if (tag >= clear_line_end_ && t.clear && last_tag_end <= line_start_ &&
          std::all_of(src_.begin() + line_start_, src_.begin() + tag, is_blank)) {
        std::size_t line_end = clear_line_rest(t.end, t.sigil != '=');
        if (line_end != std::string_view::npos) {
          ++clear_line_id_;
          clear_line_end_ = line_end;
          clear_line_indent_ = src_.substr(line_start_, tag - line_start_);
          add_text(text_start, line_start_);
          text_start = line_end;
        }
      }
      in_clear_line_ = tag < clear_line_end_;
      if (!in_clear_line_) {
        add_text(text_start, tag);
        text_start = t.end;
      }
      pos = last_tag_end = t.end;
      handle_tag(t.sigil, t.triple, t.body, tag,
                 in_clear_line_ ? std::string(clear_line_indent_) : std::string());
      if (keep_line_end_) {
        // An empty block opened and closed on a line of its own keeps the line end, after
        // whatever content the block gets.
        keep_line_end_ = false;
        std::size_t nl = clear_line_end_;
        if (nl > 0 && src_[nl - 1] == '\n') {
          --nl;
          if (nl > 0 && src_[nl - 1] == '\r') --nl;
        }
        text_start = std::max(nl, t.end);
      }
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
    Node* node;  // the section, block or parent this frame fills; null at the top
    std::string name;
    std::size_t position;
    // Block content loses this much indentation at each line start: a block passed to a
    // parent is re-indented where the parent expands it, so its own indentation goes.
    std::string strip;
    std::size_t clear_line;  // the clear line the opening tag stood on; 0: none
  };

  struct Tag {
    std::size_t end = 0;  // npos: no closing delimiter
    bool triple = false;
    bool clear = false;  // prints nothing itself: may stand alone on a line
    char sigil = '\0';
    std::string_view body;
  };

  Tag read_tag(std::size_t tag) const {
    Tag t;
    std::size_t content_start = tag + open_.size();
    t.triple = open_ == "{{" && content_start < src_.size() && src_[content_start] == '{';
    std::string_view content;
    if (t.triple) {
      std::size_t close_at = src_.find("}" + close_, content_start + 1);
      if (close_at == std::string_view::npos) {
        t.end = std::string_view::npos;
        return t;
      }
      content = src_.substr(content_start + 1, close_at - content_start - 1);
      t.end = close_at + 1 + close_.size();
    } else {
      std::size_t close_at = src_.find(close_, content_start);
      if (close_at == std::string_view::npos) {
        t.end = std::string_view::npos;
        return t;
      }
      content = src_.substr(content_start, close_at - content_start);
      t.end = close_at + close_.size();
    }
    t.body = trim(content);
    t.sigil = t.triple ? '&' : (t.body.empty() ? '\0' : t.body.front());
    t.clear = !t.triple && t.sigil != '\0' &&
              std::string_view("#^/!>=<$").find(t.sigil) != std::string_view::npos;
    if (t.clear) t.body = trim(t.body.substr(1));
    return t;
  }

  // Where the line after a clear tag ending at `from` ends (past its line break), when the rest
  // of it holds only blanks and other clear tags; npos otherwise. A set-delimiter tag stands
  // alone or not at all: the tags after it would read with other delimiters.
  std::size_t clear_line_rest(std::size_t from, bool more_tags) const {
    std::size_t k = from;
    while (true) {
      while (k < src_.size() && is_blank(src_[k])) ++k;
      if (k == src_.size()) return k;
      if (src_[k] == '\n') return k + 1;
      if (src_[k] == '\r' && k + 1 < src_.size() && src_[k + 1] == '\n') return k + 2;
      if (!more_tags || src_.compare(k, open_.size(), open_) != 0) return std::string_view::npos;
      Tag next = read_tag(k);
      if (next.end == std::string_view::npos || !next.clear || next.sigil == '=')
        return std::string_view::npos;
      k = next.end;
    }
  }

  void advance_line_start(std::size_t tag) {
    for (; line_scan_ < tag; ++line_scan_)
      if (src_[line_scan_] == '\n') line_start_ = line_scan_ + 1;
  }

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
    if (nodes.empty() || nodes.back().type != Node::Type::Text) {
      nodes.emplace_back();
      nodes.back().type = Node::Type::Text;
    }
    std::string& text = nodes.back().text;
    const std::string& strip = frames_.back().strip;
    while (from < to) {
      if (!strip.empty() && (from == 0 || src_[from - 1] == '\n') &&
          src_.compare(from, strip.size(), strip) == 0 && from + strip.size() <= to)
        from += strip.size();
      std::size_t nl = src_.find('\n', from);
      std::size_t line_end = nl == std::string_view::npos || nl >= to ? to : nl + 1;
      text.append(src_.substr(from, line_end - from));
      from = line_end;
    }
    if (text.empty()) nodes.pop_back();
  }

  Node& push_node(Node::Type type) {
    std::vector<Node>& nodes = *frames_.back().nodes;
    nodes.emplace_back();
    nodes.back().type = type;
    return nodes.back();
  }

  Frame& open_frame(Node& node, std::string_view name, std::size_t position) {
    if (static_cast<int>(frames_.size()) > limits_.max_nesting)
      fail("sections nested deeper than " + std::to_string(limits_.max_nesting), position);
    std::string strip = frames_.back().strip;
    frames_.push_back(Frame{&node.children, &node, std::string(name), position, std::move(strip),
                            in_clear_line_ ? clear_line_id_ : 0});
    return frames_.back();
  }

  // The indentation a tag stood at, less what the enclosing block content loses.
  std::string relative_indent(std::string indent) const {
    const std::string& strip = frames_.back().strip;
    if (indent.compare(0, strip.size(), strip) == 0) indent.erase(0, strip.size());
    return indent;
  }

  bool in_parent() const {
    const Node* node = frames_.back().node;
    return node != nullptr && node->type == Node::Type::Parent;
  }

  // Blocks per the inheritance specification's indentation rules: a block passed to a parent
  // loses its intrinsic indentation (that of its first line) when its opening tag stands alone;
  // a block in a parent that stands alone re-indents what it gets to its own indentation.
  void open_block(Node& node, std::string indent, std::size_t position, std::string_view name) {
    bool definition = in_parent();
    node.indent = relative_indent(std::move(indent));
    Frame& frame = open_frame(node, name, position);
    if (definition && frame.clear_line != 0) {
      std::size_t k = clear_line_end_;
      while (k < src_.size() && is_blank(src_[k])) ++k;
      std::string_view intrinsic = src_.substr(clear_line_end_, k - clear_line_end_);
      if (intrinsic.substr(0, frame.strip.size()) == frame.strip) frame.strip.assign(intrinsic);
    }
  }

  void close_block(const Frame& frame) {
    Node& node = *frame.node;
    if (frame.clear_line == 0 || in_parent()) return;
    node.reindent = true;
    if (in_clear_line_ && frame.clear_line == clear_line_id_) {
      keep_line_end_ = true;
    } else if (!node.children.empty() && node.children.front().type == Node::Type::Text) {
      const std::string& first = node.children.front().text;
      std::size_t n = 0;
      while (n < first.size() && is_blank(first[n])) ++n;
      node.indent.assign(first, 0, n);
    }
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
        set_path(node, body);
        open_frame(node, body, position);
        return;
      }
      case '$': {
        require_name(body, position);
        Node& node = push_node(Node::Type::Block);
        node.text.assign(body);
        open_block(node, std::move(indent), position, body);
        return;
      }
      case '<': {
        require_name(dynamic_trimmed(body), position);
        Node& node = push_node(Node::Type::Parent);
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
        Frame frame = std::move(frames_.back());
        frames_.pop_back();
        if (frame.node->type == Node::Type::Block) close_block(frame);
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
        set_path(node, body);
        return;
      }
    }
  }

  void set_path(Node& node, std::string_view name) {
    node.path = split_path(name);
    if (node.path.size() < 2) return;
    std::string_view prefix = name.substr(0, name.rfind('.'));
    auto known = prefixes_.find(prefix);
    if (known == prefixes_.end()) {
      template_->prefixes.push_back(PathPrefix{template_->prefixes.size()});
      known = prefixes_.emplace(std::string(prefix), &template_->prefixes.back()).first;
    }
    node.prefix = known->second;
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
  Template* template_ = nullptr;
  std::map<std::string, const PathPrefix*, std::less<>> prefixes_;
  // The line being read (start of, and how far newlines have been looked for).
  std::size_t line_start_ = 0, line_scan_ = 0;
  // The current clear line (see parse): its number, where it ends, its indentation.
  std::size_t clear_line_id_ = 0, clear_line_end_ = 0;
  std::string_view clear_line_indent_;
  bool in_clear_line_ = false;
  bool keep_line_end_ = false;
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
