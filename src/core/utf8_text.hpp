// Text from the network (an SMTP server's reply, an HTTP body) made fit for a text column: the
// database keeps only well-formed UTF-8 without NUL, and a mail server may answer in Latin-1.
#pragma once

#include <string>
#include <string_view>

namespace mc::core {

// `text` with every byte that does not begin a well-formed UTF-8 sequence (RFC 3629: shortest
// form, no surrogates, at most U+10FFFF), and every NUL, replaced by U+FFFD; the rest unchanged.
std::string valid_utf8_text(std::string_view text);

}  // namespace mc::core
