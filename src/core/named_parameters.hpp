// SQL written with named parameters ($name), turned into PostgreSQL's positional ones ($1, $2,
// ...) by the order the parameters are declared in. PG-free, so unit-tested; pg::Statement uses it
// so that no C++ code counts parameter positions by hand.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mc::core {

// `$` followed by a letter or `_` starts a name (letters, digits, `_`). Every name must be
// declared and every declared name used: std::invalid_argument otherwise. A `$` followed by
// anything else (a digit, `$`) is copied as it is; the statements that use this contain no
// dollar quoting or string literal with `$name` in it.
std::string number_parameters(std::string_view sql, const std::vector<std::string_view>& names);

}  // namespace mc::core
