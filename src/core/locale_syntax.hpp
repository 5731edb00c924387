// Syntax of the language and country an event uses to pick a template variant.
#pragma once

#include <string_view>

namespace mc::core {

// A BCP 47 tag such as "fr", "pt-BR" or "zh-Hant-TW" ('_' accepted as separator): a primary
// subtag of 2-3 letters, then subtags of 1-8 letters or digits; at most 35 characters.
bool is_language_tag(std::string_view text);
// An ISO 3166-1 alpha-2 code such as "SE" or "kr".
bool is_country_code(std::string_view text);

}  // namespace mc::core
