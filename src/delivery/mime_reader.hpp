// A small, forgiving reader of received MIME messages (for bounces): header fields (unfolded,
// names case-insensitive), Content-Type parameters, multipart bodies split at their boundary,
// transfer encodings undone. Tolerates LF or CRLF, missing final boundaries and junk; never
// throws on malformed input (bounces come from anyone). Bounded: nesting depth 8, 200 parts.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mc::delivery {

struct MimeEntity {
  std::vector<std::pair<std::string, std::string>> headers;  // name, unfolded value
  std::string body;                                          // decoded (base64 / QP undone)
  std::vector<MimeEntity> parts;                             // multipart children

  // First value of a field (case-insensitive name); empty when absent.
  std::string header(std::string_view name) const;
  // Lowercase type/subtype without parameters; "text/plain" when absent (RFC 2045 5.2).
  std::string content_type() const;
  // A Content-Type parameter (case-insensitive name, quotes removed).
  std::string content_type_param(std::string_view name) const;
};

// Header fields of `text` up to the first empty line; `rest` gets what follows it.
std::vector<std::pair<std::string, std::string>> parse_header_block(std::string_view text,
                                                                    std::string_view* rest);

MimeEntity parse_mime(std::string_view raw);

// The Content-Type-style parameter `name` of a header value (`a/b; name="v"`).
std::string header_param(std::string_view value, std::string_view name);

}  // namespace mc::delivery
