#include "core/json_event_array.hpp"

#include <algorithm>
#include <cstring>

namespace mc::core {
namespace {

class Parser {
 public:
  Parser(std::string_view text, JsonEventArray* out, JsonError* error)
      : t_(text), out_(out), error_(error) {}

  bool parse() {
    out_->elements.clear();
    out_->members.clear();
    out_->unescaped.clear();
    // Unescaping never makes a string longer: views into this buffer stay valid.
    out_->unescaped.reserve(t_.size());
    ws();
    if (peek() != '[') {
      if (!skip_value()) return false;
      out_->is_array = false;
      return at_end();
    }
    out_->is_array = true;
    ++i_;
    ws();
    if (peek() == ']') {
      ++i_;
      return at_end();
    }
    for (;;) {
      ws();
      if (peek() == '{') {
        if (!object()) return false;
      } else {
        if (!skip_value()) return false;
        out_->elements.push_back(JsonElement{false, 0, 0});
      }
      ws();
      char c = peek();
      if (c == ',') {
        ++i_;
        continue;
      }
      if (c == ']') {
        ++i_;
        return at_end();
      }
      return fail("expected \",\" or \"]\" after an array element");
    }
  }

 private:
  char peek() const { return i_ < t_.size() ? t_[i_] : '\0'; }
  void ws() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n' || t_[i_] == '\r'))
      ++i_;
  }
  bool fail(const char* message, JsonError::Kind kind = JsonError::Syntax) {
    error_->kind = kind;
    error_->offset = i_;
    error_->message = message;
    return false;
  }
  bool at_end() {
    ws();
    return i_ == t_.size() || fail("unexpected text after the JSON value");
  }

  // One element that is an object: its members, values kept.
  bool object() {
    ++i_;  // {
    JsonElement element{true, out_->members.size(), 0};
    ws();
    if (peek() == '}') {
      ++i_;
      out_->elements.push_back(element);
      return true;
    }
    for (;;) {
      ws();
      if (peek() != '"') return fail("expected a string as an object key");
      JsonMember m{};
      if (!string(&m.key, true)) return false;
      ws();
      if (peek() != ':') return fail("expected \":\" after an object key");
      ++i_;
      ws();
      const std::size_t start = i_;
      switch (peek()) {
        case '"':
          m.kind = JsonKind::String;
          if (!string(&m.value, true)) return false;
          break;
        case '{':
        case '[':
          m.kind = peek() == '{' ? JsonKind::Object : JsonKind::Array;
          if (!skip_value()) return false;
          m.value = t_.substr(start, i_ - start);
          break;
        case 't':
        case 'f':
        case 'n':
          m.kind = peek() == 't'   ? JsonKind::True
                   : peek() == 'f' ? JsonKind::False
                                   : JsonKind::Null;
          if (!literal()) return false;
          m.value = t_.substr(start, i_ - start);
          break;
        default:
          m.kind = JsonKind::Number;
          if (!number()) return false;
          m.value = t_.substr(start, i_ - start);
      }
      m.order = element.count++;
      out_->members.push_back(m);
      ws();
      char c = peek();
      if (c == ',') {
        ++i_;
        continue;
      }
      if (c == '}') {
        ++i_;
        out_->elements.push_back(element);
        return true;
      }
      return fail("expected \",\" or \"}\" after an object member");
    }
  }

  static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  // Four hex digits after "\u" (i_ at the first); -1 if malformed.
  long hex4() {
    if (i_ + 4 > t_.size()) return -1;
    long v = 0;
    for (int k = 0; k < 4; ++k) {
      int h = hex(t_[i_ + k]);
      if (h < 0) return -1;
      v = v * 16 + h;
    }
    i_ += 4;
    return v;
  }
  void append_utf8(unsigned long cp, bool keep) {
    if (!keep) return;
    std::string& s = out_->unescaped;
    if (cp < 0x80) {
      s.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      s.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      s.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      s.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      s.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  // A string at i_ ('"'); *result (when keep) is its unescaped content.
  bool string(std::string_view* result, bool keep) {
    ++i_;
    const std::size_t start = i_;
    while (i_ < t_.size()) {
      unsigned char c = static_cast<unsigned char>(t_[i_]);
      if (c == '"') {
        if (keep) *result = t_.substr(start, i_ - start);
        ++i_;
        return true;
      }
      if (c == '\\') break;
      if (c < 0x20) return fail("a control character in a string must be escaped");
      ++i_;
    }
    if (i_ >= t_.size()) return fail("unterminated string");
    std::string& s = out_->unescaped;
    const std::size_t from = s.size();
    if (keep) s.append(t_.data() + start, i_ - start);
    for (;;) {
      if (i_ >= t_.size()) return fail("unterminated string");
      unsigned char c = static_cast<unsigned char>(t_[i_]);
      if (c == '"') {
        ++i_;
        break;
      }
      if (c < 0x20) return fail("a control character in a string must be escaped");
      if (c != '\\') {
        if (keep) s.push_back(static_cast<char>(c));
        ++i_;
        continue;
      }
      ++i_;
      char e = peek();
      ++i_;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          if (keep) s.push_back(e);
          break;
        case 'b':
          if (keep) s.push_back('\b');
          break;
        case 'f':
          if (keep) s.push_back('\f');
          break;
        case 'n':
          if (keep) s.push_back('\n');
          break;
        case 'r':
          if (keep) s.push_back('\r');
          break;
        case 't':
          if (keep) s.push_back('\t');
          break;
        case 'u': {
          long cp = hex4();
          if (cp < 0) return fail("\"\\u\" must be followed by four hexadecimal digits");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (peek() != '\\' || i_ + 1 >= t_.size() || t_[i_ + 1] != 'u')
              return fail("a Unicode high surrogate must be followed by a low surrogate");
            i_ += 2;
            long low = hex4();
            if (low < 0) return fail("\"\\u\" must be followed by four hexadecimal digits");
            if (low < 0xDC00 || low > 0xDFFF)
              return fail("a Unicode high surrogate must be followed by a low surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return fail("a Unicode low surrogate must follow a high surrogate");
          } else if (cp == 0) {
            return fail("\\u0000 cannot be converted to text", JsonError::NulEscape);
          }
          append_utf8(static_cast<unsigned long>(cp), keep);
          break;
        }
        default:
          --i_;
          return fail("invalid escape sequence in a string");
      }
    }
    if (keep) *result = std::string_view(s.data() + from, s.size() - from);
    return true;
  }

  bool digits() {
    std::size_t from = i_;
    while (i_ < t_.size() && t_[i_] >= '0' && t_[i_] <= '9') ++i_;
    return i_ > from;
  }
  bool number() {
    if (peek() == '-') ++i_;
    if (peek() == '0') {
      ++i_;
    } else if (peek() >= '1' && peek() <= '9') {
      digits();
    } else {
      return fail("invalid JSON value");
    }
    if (peek() == '.') {
      ++i_;
      if (!digits()) return fail("a decimal point must be followed by digits");
    }
    if (peek() == 'e' || peek() == 'E') {
      ++i_;
      if (peek() == '+' || peek() == '-') ++i_;
      if (!digits()) return fail("an exponent must have digits");
    }
    return true;
  }
  bool literal() {
    for (const char* word : {"true", "false", "null"}) {
      std::size_t len = std::strlen(word);
      if (t_.substr(i_, len) == word) {
        i_ += len;
        return true;
      }
    }
    return fail("invalid JSON value");
  }

  // Any value, checked, without keeping anything. Iterative: nesting costs no C++ stack.
  bool skip_value() {
    stack_.clear();
    for (;;) {
      // A value starts here.
      ws();
      switch (peek()) {
        case '{':
          ++i_;
          ws();
          if (peek() == '}') {
            ++i_;
            break;
          }
          stack_.push_back('{');
          if (!key()) return false;
          continue;
        case '[':
          ++i_;
          ws();
          if (peek() == ']') {
            ++i_;
            break;
          }
          stack_.push_back('[');
          continue;
        case '"':
          if (!string(nullptr, false)) return false;
          break;
        case 't':
        case 'f':
        case 'n':
          if (!literal()) return false;
          break;
        default:
          if (!number()) return false;
      }
      // After a value: close containers, or go on to the next value.
      for (;;) {
        if (stack_.empty()) return true;
        ws();
        char c = peek();
        if (c == ',') {
          ++i_;
          if (stack_.back() == '{' && !key()) return false;
          break;
        }
        if ((c == '}' && stack_.back() == '{') || (c == ']' && stack_.back() == '[')) {
          ++i_;
          stack_.pop_back();
          continue;
        }
        return fail(stack_.back() == '{' ? "expected \",\" or \"}\" after an object member"
                                         : "expected \",\" or \"]\" after an array element");
      }
    }
  }
  // A key and its colon, inside skip_value.
  bool key() {
    ws();
    if (peek() != '"') return fail("expected a string as an object key");
    if (!string(nullptr, false)) return false;
    ws();
    if (peek() != ':') return fail("expected \":\" after an object key");
    ++i_;
    return true;
  }

  std::string_view t_;
  std::size_t i_ = 0;
  JsonEventArray* out_;
  JsonError* error_;
  std::vector<char> stack_;
};

}  // namespace

bool parse_json_event_array(std::string_view text, JsonEventArray* out, JsonError* error) {
  *error = JsonError{};
  return Parser(text, out, error).parse();
}

void jsonb_member_order(const JsonEventArray& array, const JsonElement& element,
                        std::vector<std::size_t>* order) {
  order->clear();
  for (std::size_t k = 0; k < element.count; ++k) order->push_back(element.first + k);
  const auto& m = array.members;
  auto key_less = [&](std::size_t a, std::size_t b) {
    const std::string_view ka = m[a].key, kb = m[b].key;
    if (ka.size() != kb.size()) return ka.size() < kb.size();
    int c = ka.compare(kb);
    if (c != 0) return c < 0;
    return m[a].order > m[b].order;  // the later duplicate first: it is the one kept
  };
  std::sort(order->begin(), order->end(), key_less);
  order->erase(std::unique(order->begin(), order->end(),
                           [&](std::size_t a, std::size_t b) { return m[a].key == m[b].key; }),
               order->end());
}

}  // namespace mc::core
