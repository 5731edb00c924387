// Header field values as RFC 5322 and RFC 2047 want them: unstructured text (Subject, extra
// headers) folded at whitespace, or as UTF-8 "B" encoded-words when it holds anything but
// printable ASCII (each word at most 75 characters, cut on UTF-8 character boundaries, one word
// per folded line so that every line stays within 76 characters); display names quoted or
// encoded. Values with CR or LF are refused before they get here (mime_message.cpp): folding is
// the only way a line break enters a header.
#pragma once

#include <string>
#include <string_view>

namespace mc::delivery {

// The complete field `Name: value` + CRLF, value encoded as unstructured text.
std::string unstructured_field(std::string_view name, std::string_view value);

// A display name for a mailbox (`"Ann O'Neil" <...>` or `=?utf-8?B?...?= <...>`): the part before
// the angle address, without trailing space; empty for an empty name.
std::string encode_display_name(std::string_view name, std::size_t line_used);

// Encoded-words of `value` (UTF-8), separated by CRLF SP; the first fits after `first_line_used`
// characters already on its line.
std::string encoded_words(std::string_view value, std::size_t first_line_used);

// Whether every byte is printable ASCII or a blank (no control, no 8-bit byte).
bool is_printable_ascii(std::string_view s);

// Decodes RFC 2047 encoded-words (B and Q, UTF-8 or ASCII charsets kept as bytes) in a header
// value, unfolding it; used by the bounce parser on returned headers.
std::string decode_header_value(std::string_view value);

}  // namespace mc::delivery
