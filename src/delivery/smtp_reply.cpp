#include "delivery/smtp_reply.hpp"

#include <cctype>

namespace mc::delivery {

namespace {
bool digit(char c) { return c >= '0' && c <= '9'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}
}  // namespace

std::string EnhancedStatus::str() const {
  return std::to_string(cls) + "." + std::to_string(subject) + "." + std::to_string(detail);
}

std::string SmtpReply::str() const {
  std::string out = std::to_string(code);
  if (enhanced) out += " " + enhanced->str();
  if (!text.empty()) out += " " + text;
  return out;
}

std::optional<EnhancedStatus> parse_enhanced_status(std::string_view s, std::size_t* used) {
  std::size_t i = 0;
  auto number = [&](int max_digits, int* out) {
    std::size_t start = i;
    int v = 0;
    while (i < s.size() && digit(s[i]) && int(i - start) < max_digits) v = v * 10 + (s[i++] - '0');
    *out = v;
    return i > start;
  };
  EnhancedStatus st;
  if (!number(1, &st.cls) || (st.cls != 2 && st.cls != 4 && st.cls != 5)) return std::nullopt;
  if (i >= s.size() || s[i++] != '.') return std::nullopt;
  if (!number(3, &st.subject)) return std::nullopt;
  if (i >= s.size() || s[i++] != '.') return std::nullopt;
  if (!number(3, &st.detail)) return std::nullopt;
  if (i < s.size() && (digit(s[i]) || s[i] == '.')) return std::nullopt;
  if (used) *used = i;
  return st;
}

std::optional<SmtpReply> parse_smtp_reply(std::string_view lines) {
  SmtpReply reply;
  bool first = true;
  while (!lines.empty()) {
    std::size_t nl = lines.find('\n');
    std::string_view line = lines.substr(0, nl);
    lines = nl == std::string_view::npos ? std::string_view() : lines.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.size() < 3 || !digit(line[0]) || !digit(line[1]) || !digit(line[2])) {
      if (first) return std::nullopt;
      continue;
    }
    int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (first) reply.code = code;
    std::string_view text = line.size() > 3 ? trim(line.substr(4)) : std::string_view();
    // Each line of a multi-line reply repeats the enhanced code (RFC 2034); keep it once.
    std::size_t used = 0;
    if (auto st = parse_enhanced_status(text, &used)) {
      if (!reply.enhanced) reply.enhanced = st;
      text = trim(text.substr(used));
    }
    if (!text.empty()) {
      if (!reply.text.empty()) reply.text += ' ';
      reply.text.append(text);
    }
    first = false;
  }
  if (first) return std::nullopt;
  return reply;
}

void SmtpReplyTracker::feed(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.size() < 3) return;
  partial_.append(line);
  partial_ += "\r\n";
  // `NNN-` continues, `NNN ` or a bare `NNN` ends the reply.
  if (line.size() > 3 && line[3] == '-') return;
  auto reply = parse_smtp_reply(partial_);
  partial_.clear();
  if (reply && reply->code != 221) last_ = std::move(reply);
}

void SmtpReplyTracker::reset() {
  partial_.clear();
  last_.reset();
}

}  // namespace mc::delivery
