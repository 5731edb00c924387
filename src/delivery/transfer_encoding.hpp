// Content-Transfer-Encodings of RFC 2045: quoted-printable (section 6.7) and base64 (section
// 6.8). curl never announces 8BITMIME, so every body leaves as 7-bit text with CRLF line ends and
// lines of at most 76 characters; curl dot-stuffs on the wire, so nothing here does.
#pragma once

#include <string>
#include <string_view>

namespace mc::delivery {

// Base64 of `in`; with line_length > 0 (a multiple of 4), lines joined by CRLF, none trailing.
std::string base64_encode(std::string_view in, std::size_t line_length = 0);
// Decodes base64, skipping whitespace and stopping at the first '=' pad; false on other bytes.
bool base64_decode(std::string_view in, std::string& out);

// Quoted-printable of a text body. Line breaks of the input (CRLF, LF or CR) become hard CRLF
// breaks; everything else that is not printable ASCII, '=' and blanks before a line end are
// encoded; soft breaks ("=" CRLF) keep every line at 76 characters or less.
std::string quoted_printable_encode(std::string_view text);
// Decodes quoted-printable (soft breaks removed, =XX decoded, invalid escapes kept as they are).
std::string quoted_printable_decode(std::string_view in);

// The encoded size quoted-printable would give, to choose base64 when QP would be poor (much
// non-ASCII text, such as Cyrillic or CJK, grows threefold in QP and by a third in base64).
std::size_t quoted_printable_size(std::string_view text);

// Text with every line break (CRLF, LF, CR) as CRLF.
std::string normalize_crlf(std::string_view text);

}  // namespace mc::delivery
