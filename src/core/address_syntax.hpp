// Syntax of the addresses an event carries. Deliberately stricter than RFC 5322 (no quoted
// local parts, no comments, no IP literals): what a mail relay accepts from an application,
// so that a typo is refused at intake rather than bounced hours later.
#pragma once

#include <string_view>

namespace mc::core {

// Empty when valid, else the reason.
std::string_view email_syntax_error(std::string_view email);
std::string_view phone_syntax_error(std::string_view phone);

}  // namespace mc::core
