#include "core/named_parameters.hpp"

#include <cctype>
#include <stdexcept>

namespace mc::core {
namespace {

bool starts_name(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool continues_name(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

}  // namespace

std::string number_parameters(std::string_view sql, const std::vector<std::string_view>& names) {
  std::string out;
  out.reserve(sql.size());
  std::vector<bool> used(names.size(), false);
  for (size_t i = 0; i < sql.size();) {
    if (sql[i] != '$' || i + 1 >= sql.size() || !starts_name(sql[i + 1])) {
      out += sql[i++];
      continue;
    }
    size_t end = i + 1;
    while (end < sql.size() && continues_name(sql[end])) ++end;
    std::string_view name = sql.substr(i + 1, end - i - 1);
    size_t index = 0;
    while (index < names.size() && names[index] != name) ++index;
    if (index == names.size())
      throw std::invalid_argument("undeclared parameter $" + std::string(name));
    used[index] = true;
    out += '$';
    out += std::to_string(index + 1);
    i = end;
  }
  for (size_t k = 0; k < names.size(); ++k)
    if (!used[k])
      throw std::invalid_argument("parameter $" + std::string(names[k]) +
                                  " is declared but not used");
  return out;
}

}  // namespace mc::core
