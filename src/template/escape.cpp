#include "template/escape.hpp"

namespace mc::tmpl {
namespace {

// Characters that need an entity: one table lookup per byte, runs appended whole.
struct HtmlSpecial {
  bool table[256] = {};
  constexpr HtmlSpecial() {
    table[static_cast<unsigned char>('&')] = table[static_cast<unsigned char>('<')] = true;
    table[static_cast<unsigned char>('>')] = table[static_cast<unsigned char>('"')] = true;
    table[static_cast<unsigned char>('\'')] = true;
  }
};
constexpr HtmlSpecial kHtmlSpecial;

void append_html(std::string& out, std::string_view text) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!kHtmlSpecial.table[static_cast<unsigned char>(text[i])]) continue;
    const char* entity = nullptr;
    switch (text[i]) {
      case '&':
        entity = "&amp;";
        break;
      case '<':
        entity = "&lt;";
        break;
      case '>':
        entity = "&gt;";
        break;
      case '"':
        entity = "&quot;";
        break;
      case '\'':
        entity = "&#39;";
        break;
      default:
        continue;
    }
    out.append(text.data() + start, i - start);
    out.append(entity);
    start = i + 1;
  }
  out.append(text.data() + start, text.size() - start);
}

bool unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

void append_url(std::string& out, std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : text) {
    if (unreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
}

}  // namespace

void append_escaped(std::string& out, std::string_view text, Escape escape) {
  switch (escape) {
    case Escape::Html:
      append_html(out, text);
      return;
    case Escape::Url:
      append_url(out, text);
      return;
    case Escape::None:
      out.append(text);
      return;
  }
}

}  // namespace mc::tmpl
