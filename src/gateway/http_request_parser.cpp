#include "gateway/http_request_parser.hpp"

#include <algorithm>
#include <cctype>

namespace mcgw {
namespace {

// RFC 9110 §5.6.2 tchar.
bool is_tchar(unsigned char c) {
  if (std::isalnum(c)) return true;
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
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_tchar(static_cast<unsigned char>(c))) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

HeadResult refuse(int status, std::string reason) {
  HeadResult r;
  r.kind = HeadResult::kRefused;
  r.status = status;
  r.reason = std::move(reason);
  return r;
}

// Does a comma-separated list (Connection, Expect) hold `token`?
bool list_has(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    std::string_view item = trim(list.substr(0, comma));
    if (iequals(item, token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

HeadResult parse_request_line(std::string_view line, RequestHead* out) {
  std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return refuse(400, "malformed request line");
  std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return refuse(400, "malformed request line");
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method)) return refuse(400, "malformed request method");
  if (target.empty() || target.front() != '/') return refuse(400, "malformed request target");
  for (char c : target)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      return refuse(400, "malformed request target");
  if (version.size() != 8 || version.compare(0, 5, "HTTP/") != 0 || version[6] != '.' ||
      !std::isdigit(static_cast<unsigned char>(version[5])) ||
      !std::isdigit(static_cast<unsigned char>(version[7])))
    return refuse(400, "malformed HTTP version");
  if (version[5] != '1' || (version[7] != '0' && version[7] != '1'))
    return refuse(505, "only HTTP/1.0 and HTTP/1.1 are served");
  out->method.assign(method);
  out->target.assign(target);
  out->minor_version = version[7] - '0';
  return {HeadResult::kComplete, 0, ""};
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string_view field_value(const RequestHead& head, std::string_view name) {
  for (const auto& [n, v] : head.fields)
    if (iequals(n, name)) return v;
  return {};
}

HeadResult parse_request_head(std::string_view buf, const HttpLimits& limits, RequestHead* out) {
  *out = RequestHead{};
  std::size_t pos = 0;
  // Empty lines before the request line are ignored (RFC 9112 §2.2), within the head's limit.
  while (pos < buf.size() && (buf[pos] == '\r' || buf[pos] == '\n')) {
    if (buf[pos] == '\r' && pos + 1 < buf.size() && buf[pos + 1] != '\n')
      return refuse(400, "malformed request line");
    ++pos;
    if (pos > limits.max_head_bytes) return refuse(431, "the request head is too large");
  }
  bool first = true;
  while (true) {
    std::size_t nl = buf.find('\n', pos);
    if (nl == std::string_view::npos) {
      if (buf.size() > limits.max_head_bytes) return refuse(431, "the request head is too large");
      return {};
    }
    if (nl + 1 > limits.max_head_bytes) return refuse(431, "the request head is too large");
    std::string_view line = buf.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = nl + 1;
    for (char c : line)
      if (c == '\r' || c == '\0') return refuse(400, "a control character in the request head");
    if (first) {
      HeadResult r = parse_request_line(line, out);
      if (r.kind != HeadResult::kComplete) return r;
      first = false;
      continue;
    }
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t')
      return refuse(400, "obsolete line folding in a header field");
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon)))
      return refuse(400, "malformed header field");
    std::string_view value = trim(line.substr(colon + 1));
    for (char c : value)
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t')
        return refuse(400, "a control character in a header field");
    if (out->fields.size() >= limits.max_fields)
      return refuse(431, "more than " + std::to_string(limits.max_fields) + " header fields");
    out->fields.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  out->head_bytes = pos;

  bool have_length = false;
  std::string_view length;
  out->keep_alive = out->minor_version == 1;
  for (const auto& [name, value] : out->fields) {
    if (iequals(name, "Transfer-Encoding")) return refuse(411, "a Content-Length is required");
    if (iequals(name, "Content-Length")) {
      if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos)
        return refuse(400, "a malformed Content-Length");
      if (have_length && value != length) return refuse(400, "conflicting Content-Lengths");
      have_length = true;
      length = value;
    } else if (iequals(name, "Connection")) {
      if (list_has(value, "close"))
        out->keep_alive = false;
      else if (list_has(value, "keep-alive"))
        out->keep_alive = true;
    } else if (iequals(name, "Expect")) {
      if (iequals(value, "100-continue")) out->expect_continue = true;
    }
  }
  bool may_have_body = out->method == "POST" || out->method == "PUT" || out->method == "PATCH";
  if (may_have_body && !have_length) return refuse(411, "a Content-Length is required");
  if (have_length) {
    std::string_view digits = length.substr(std::min(length.find_first_not_of('0'), length.size()));
    std::size_t n = digits.size() > 15 ? limits.max_body_bytes + 1
                    : digits.empty()   ? 0
                                       : std::stoull(std::string(digits));
    if (n > limits.max_body_bytes)
      return refuse(413,
                    "the body is larger than " + std::to_string(limits.max_body_bytes) + " bytes");
    out->content_length = n;
  }
  if (out->content_length == 0) out->expect_continue = false;
  return {HeadResult::kComplete, 0, ""};
}

}  // namespace mcgw
