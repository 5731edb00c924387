// How interpolated values are written into each kind of message part.
#pragma once

#include <string>
#include <string_view>

namespace mc::tmpl {

enum class Escape {
  Html,  // {{x}} escapes & < > " '; {{{x}}} and {{& x}} do not
  None,  // text, SMS and push parts: nothing is escaped
  Url,   // {{x}} percent-encodes all but RFC 3986 unreserved characters
};

class OutputBuffer;

namespace detail {
struct HtmlSpecialTable {
  bool special[256] = {};
  constexpr HtmlSpecialTable() {
    for (unsigned char c : {'&', '<', '>', '"', '\''}) special[c] = true;
  }
};
inline constexpr HtmlSpecialTable kHtmlSpecial;
}  // namespace detail

// Whether text goes out unchanged under Html: most values are short words, and checking them
// inline spares the renderer a call per interpolation.
inline bool html_clean(std::string_view text) {
  for (char c : text)
    if (detail::kHtmlSpecial.special[static_cast<unsigned char>(c)]) return false;
  return true;
}

// Appends text to out as the part's escape mode requires.
void append_escaped(std::string& out, std::string_view text, Escape escape);
void append_escaped(OutputBuffer& out, std::string_view text, Escape escape);

}  // namespace mc::tmpl
