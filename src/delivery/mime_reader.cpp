#include "delivery/mime_reader.hpp"

#include "delivery/transfer_encoding.hpp"

#include <cctype>
#include <strings.h>

namespace mc::delivery {

namespace {
constexpr int kMaxDepth = 8;
constexpr std::size_t kMaxParts = 200;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Next line without its line end; advances `text`.
std::string_view next_line(std::string_view& text) {
  std::size_t nl = text.find('\n');
  std::string_view line = text.substr(0, nl);
  text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

void parse_into(std::string_view raw, MimeEntity& e, int depth, std::size_t& budget) {
  std::string_view body;
  e.headers = parse_header_block(raw, &body);
  std::string cte = lower(trim(e.header("content-transfer-encoding")));
  std::string type = e.content_type();
  if (type.rfind("multipart/", 0) == 0 && depth < kMaxDepth) {
    std::string boundary = e.content_type_param("boundary");
    if (!boundary.empty()) {
      std::string delim = "--" + boundary;
      std::string_view rest = body;
      std::vector<std::string_view> chunks;
      const char* start = nullptr;
      while (!rest.empty()) {
        const char* line_start = rest.data();
        std::string_view line = next_line(rest);
        if (line.rfind(delim, 0) == 0) {
          bool closing = line.compare(delim.size(), 2, "--") == 0;
          if (start) {
            // The line break before the delimiter belongs to the delimiter (RFC 2046 5.1.1).
            std::size_t len = static_cast<std::size_t>(line_start - start);
            std::string_view chunk(start, len);
            if (!chunk.empty() && chunk.back() == '\n') chunk.remove_suffix(1);
            if (!chunk.empty() && chunk.back() == '\r') chunk.remove_suffix(1);
            chunks.push_back(chunk);
          }
          start = closing ? nullptr : rest.data();
          if (closing) break;
        }
      }
      if (start)
        chunks.emplace_back(start, static_cast<std::size_t>(body.data() + body.size() - start));
      for (auto chunk : chunks) {
        if (budget == 0) break;
        --budget;
        e.parts.emplace_back();
        parse_into(chunk, e.parts.back(), depth + 1, budget);
      }
      return;
    }
  }
  if ((type == "message/rfc822" || type == "message/global") && depth < kMaxDepth && budget > 0) {
    --budget;
    e.body.assign(body);
    e.parts.emplace_back();
    parse_into(body, e.parts.back(), depth + 1, budget);
    return;
  }
  if (cte == "base64") {
    std::string decoded;
    if (base64_decode(body, decoded)) {
      e.body = std::move(decoded);
      return;
    }
  } else if (cte == "quoted-printable") {
    e.body = quoted_printable_decode(body);
    return;
  }
  e.body.assign(body);
}
}  // namespace

std::vector<std::pair<std::string, std::string>> parse_header_block(std::string_view text,
                                                                    std::string_view* rest) {
  std::vector<std::pair<std::string, std::string>> headers;
  while (!text.empty()) {
    std::string_view before = text;
    std::string_view line = next_line(text);
    if (trim(line).empty()) break;
    if ((line[0] == ' ' || line[0] == '\t') && !headers.empty()) {
      headers.back().second += ' ';
      headers.back().second.append(trim(line));
      continue;
    }
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      // Not a header: the block had no empty line; what remains is body.
      text = before;
      break;
    }
    headers.emplace_back(std::string(trim(line.substr(0, colon))),
                         std::string(trim(line.substr(colon + 1))));
  }
  if (rest) *rest = text;
  return headers;
}

std::string MimeEntity::header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (n.size() == name.size() && strncasecmp(n.data(), name.data(), n.size()) == 0) return v;
  return {};
}

std::string MimeEntity::content_type() const {
  std::string v = header("content-type");
  std::string t = lower(trim(std::string_view(v).substr(0, v.find(';'))));
  return t.empty() ? "text/plain" : t;
}

std::string MimeEntity::content_type_param(std::string_view name) const {
  return header_param(header("content-type"), name);
}

std::string header_param(std::string_view value, std::string_view name) {
  std::size_t pos = value.find(';');
  while (pos != std::string_view::npos) {
    std::size_t next = pos + 1;
    // Find the end of this parameter, honouring quotes.
    bool quoted = false;
    std::size_t end = next;
    for (; end < value.size(); ++end) {
      if (value[end] == '"') quoted = !quoted;
      if (value[end] == ';' && !quoted) break;
    }
    std::string_view param = trim(value.substr(next, end - next));
    std::size_t eq = param.find('=');
    if (eq != std::string_view::npos && lower(trim(param.substr(0, eq))) == lower(name)) {
      std::string_view v = trim(param.substr(eq + 1));
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return std::string(v);
    }
    pos = end < value.size() ? end : std::string_view::npos;
  }
  return {};
}

MimeEntity parse_mime(std::string_view raw) {
  MimeEntity e;
  std::size_t budget = kMaxParts;
  try {
    parse_into(raw, e, 0, budget);
  } catch (...) {
    // Out of memory on hostile input: return what was read.
  }
  return e;
}

}  // namespace mc::delivery
