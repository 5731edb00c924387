#include "template/escape.hpp"

#include <cstdint>
#include <cstring>

#include "template/output_buffer.hpp"

namespace mc::tmpl {
namespace {

// Values are mostly plain words: find the first byte that needs an entity eight bytes at a
// time (a zero-byte test per character), so a clean value costs one append.
constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
constexpr std::uint64_t kHighs = 0x8080808080808080ULL;

inline std::uint64_t has_byte(std::uint64_t word, unsigned char c) {
  std::uint64_t x = word ^ (kOnes * c);
  return (x - kOnes) & ~x & kHighs;
}

inline bool html_special(unsigned char c) { return detail::kHtmlSpecial.special[c]; }

std::size_t first_html_special(std::string_view text, std::size_t from) {
  std::size_t i = from;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    if (has_byte(word, '&') | has_byte(word, '<') | has_byte(word, '>') | has_byte(word, '"') |
        has_byte(word, '\''))
      break;
  }
  for (; i < text.size(); ++i)
    if (html_special(static_cast<unsigned char>(text[i]))) return i;
  return i;
}

template <class Out>
void append_html(Out& out, std::string_view text) {
  // Short values (most) are checked byte by byte right here; clean ones go out in one append.
  if (text.size() < 16) {
    std::size_t i = 0;
    while (i < text.size() && !html_special(static_cast<unsigned char>(text[i]))) ++i;
    if (i == text.size()) {
      out.append(text.data(), text.size());
      return;
    }
  }
  std::size_t start = 0;
  while (true) {
    std::size_t i = first_html_special(text, start);
    out.append(text.data() + start, i - start);
    if (i == text.size()) return;
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
}

bool unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

template <class Out>
void append_url(Out& out, std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : text) {
    if (unreserved(c)) {
      const char plain = static_cast<char>(c);
      out.append(&plain, 1);
    } else {
      char encoded[3] = {'%', kHex[c >> 4], kHex[c & 15]};
      out.append(encoded, 3);
    }
  }
}

template <class Out>
void append_any(Out& out, std::string_view text, Escape escape) {
  switch (escape) {
    case Escape::Html:
      append_html(out, text);
      return;
    case Escape::Url:
      append_url(out, text);
      return;
    case Escape::None:
      out.append(text.data(), text.size());
      return;
  }
}

}  // namespace

void append_escaped(std::string& out, std::string_view text, Escape escape) {
  append_any(out, text, escape);
}

void append_escaped(OutputBuffer& out, std::string_view text, Escape escape) {
  append_any(out, text, escape);
}

}  // namespace mc::tmpl
