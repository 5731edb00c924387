#include "core/address_syntax.hpp"

#include <cstddef>

namespace mc::core {
namespace {

bool is_alnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 5322 atext, plus UTF-8 bytes for internationalised addresses (RFC 6531).
bool is_atext(unsigned char c) {
  if (is_alnum(c) || c >= 0x80) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '/':
    case '=':
    case '?':
    case '^':
    case '_':
    case '`':
    case '{':
    case '|':
    case '}':
    case '~':
      return true;
    default:
      return false;
  }
}

std::string_view local_part_error(std::string_view local) {
  if (local.empty()) return "the part before @ is empty";
  if (local.size() > 64) return "the part before @ is longer than 64 characters";
  if (local.front() == '.' || local.back() == '.')
    return "the part before @ starts or ends with a dot";
  for (std::size_t i = 0; i < local.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(local[i]);
    if (c == '.') {
      if (local[i + 1] == '.') return "the part before @ has two dots in a row";
    } else if (!is_atext(c)) {
      return "the part before @ has a character not allowed in an address";
    }
  }
  return {};
}

std::string_view domain_error(std::string_view domain) {
  if (domain.empty()) return "the domain is empty";
  if (domain.size() > 253) return "the domain is longer than 253 characters";
  std::size_t labels = 0, start = 0;
  bool last_label_numeric = true;
  while (start <= domain.size()) {
    std::size_t dot = domain.find('.', start);
    if (dot == std::string_view::npos) dot = domain.size();
    std::string_view label = domain.substr(start, dot - start);
    if (label.empty()) return "the domain has an empty label";
    if (label.size() > 63) return "a domain label is longer than 63 characters";
    if (label.front() == '-' || label.back() == '-')
      return "a domain label starts or ends with a hyphen";
    last_label_numeric = true;
    for (unsigned char c : label) {
      if (!(is_alnum(c) || c == '-' || c >= 0x80))
        return "the domain has a character not allowed in a host name";
      if (!(c >= '0' && c <= '9')) last_label_numeric = false;
    }
    ++labels;
    start = dot + 1;
  }
  if (labels < 2) return "the domain has no dot (a top-level domain is required)";
  if (last_label_numeric) return "the top-level domain is numeric";
  return {};
}

}  // namespace

std::string_view email_syntax_error(std::string_view email) {
  if (email.empty()) return "the address is empty";
  if (email.size() > 254) return "the address is longer than 254 characters";
  std::size_t at = email.rfind('@');
  if (at == std::string_view::npos) return "there is no @";
  std::string_view error = local_part_error(email.substr(0, at));
  if (!error.empty()) return error;
  return domain_error(email.substr(at + 1));
}

std::string_view phone_syntax_error(std::string_view phone) {
  if (phone.empty()) return "the number is empty";
  if (phone.size() > 32) return "the number is longer than 32 characters";
  std::size_t digits = 0;
  for (std::size_t i = 0; i < phone.size(); ++i) {
    char c = phone[i];
    if (c >= '0' && c <= '9') {
      ++digits;
    } else if (c == '+') {
      if (i != 0) return "a + stands elsewhere than at the start";
    } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
      return "a character is not a digit, +, space, dot, dash or parenthesis";
    }
  }
  // E.164 numbers have at most 15 digits; fewer than 6 is no reachable number.
  if (digits < 6) return "there are fewer than 6 digits";
  if (digits > 15) return "there are more than 15 digits (E.164)";
  return {};
}

}  // namespace mc::core
