// The head of an HTTP/1.1 request (request line and header fields, RFC 9112), parsed from the
// bytes received so far, and the limits checked on it before any body is read.
//
// Hand-written, not a library: Debian 12 packages neither llhttp (only node-llhttp, the
// JavaScript sources) nor picohttpparser, and cpp-httplib's parser cannot be called without its
// blocking socket loop. What the gateway accepts is narrow (a method, an origin-form target,
// HTTP/1.0 or 1.1, fields, a Content-Length body), so the parser is small and strict.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mcgw {

struct HttpLimits {
  std::size_t max_head_bytes = 16384;  // request line + fields: more is 431
  std::size_t max_fields = 100;        // header fields: more is 431
  std::size_t max_body_bytes = 1 << 20;
};

struct RequestHead {
  std::string method;
  std::string target;  // as sent: path and query
  int minor_version = 1;
  std::vector<std::pair<std::string, std::string>> fields;  // names as sent, values trimmed
  std::size_t head_bytes = 0;                               // through the blank line
  std::size_t content_length = 0;                           // 0 without a body
  bool keep_alive = true;        // HTTP/1.1 unless "Connection: close"; 1.0 only if asked
  bool expect_continue = false;  // "Expect: 100-continue"
};

struct HeadResult {
  enum Kind { kIncomplete, kComplete, kRefused } kind = kIncomplete;
  int status = 0;      // kRefused: 400, 411, 413, 431, 501 or 505
  std::string reason;  // kRefused: for the answer's detail
};

// Parses the head at the start of buf (LF alone ends a line too, RFC 9112 §2.2). kIncomplete
// while no blank line has arrived and the limits are not exceeded. Refused: a malformed request
// line or field, an unknown HTTP version, a body of unknown length (any Transfer-Encoding, or a
// POST/PUT/PATCH without Content-Length: 411), a Content-Length larger than max_body_bytes
// (413), conflicting Content-Lengths (400).
HeadResult parse_request_head(std::string_view buf, const HttpLimits& limits, RequestHead* out);

// The value of the first field named `name` (case-insensitive), or empty.
std::string_view field_value(const RequestHead& head, std::string_view name);

bool iequals(std::string_view a, std::string_view b);

}  // namespace mcgw
