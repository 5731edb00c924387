// The nesting depth of a JSON text, found by a scan that keeps no stack: a deeply nested body
// is refused before any recursive code (parser, dump) sees it.
#pragma once

#include <string_view>

namespace mcgw {

constexpr int kMaxJsonDepth = 64;
int json_depth(std::string_view text);

}  // namespace mcgw
