#include "core/locale_syntax.hpp"

namespace mc::core {
namespace {
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
}  // namespace

bool is_language_tag(std::string_view text) {
  if (text.empty() || text.size() > 35) return false;
  std::size_t start = 0, index = 0;
  while (start <= text.size()) {
    std::size_t end = text.find_first_of("-_", start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view subtag = text.substr(start, end - start);
    if (index == 0) {
      if (subtag.size() < 2 || subtag.size() > 3) return false;
      for (char c : subtag)
        if (!is_alpha(c)) return false;
    } else {
      if (subtag.empty() || subtag.size() > 8) return false;
      for (char c : subtag)
        if (!is_alpha(c) && !is_digit(c)) return false;
    }
    ++index;
    start = end + 1;
  }
  return true;
}

bool is_country_code(std::string_view text) {
  return text.size() == 2 && is_alpha(text[0]) && is_alpha(text[1]);
}

}  // namespace mc::core
