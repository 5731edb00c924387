#include "delivery/http_outcome.hpp"

#include "delivery/rfc5322_date.hpp"

#include <algorithm>
#include <cctype>

namespace mc::delivery {

std::optional<std::int64_t> parse_retry_after(std::string_view v, std::int64_t now_unix) {
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (v.size() > 10) return std::nullopt;  // absurd: leave it to the back-off cap
    return std::stoll(std::string(v));
  }
  auto when = parse_rfc5322_date(v);
  if (!when) return std::nullopt;
  return std::max<std::int64_t>(0, *when - now_unix);
}

Outcome classify_http_status(long status, const std::vector<int>& success_codes,
                             std::string_view retry_after, std::string_view body,
                             std::int64_t now_unix) {
  Outcome out;
  bool success = success_codes.empty() ? status >= 200 && status <= 299
                                       : std::find(success_codes.begin(), success_codes.end(),
                                                   int(status)) != success_codes.end();
  if (success) {
    out.disposition = Disposition::Sent;
    return out;
  }
  out.failure_reason = "HTTP " + std::to_string(status);
  std::string excerpt;
  for (char c : body.substr(0, 200)) excerpt += (c == '\r' || c == '\n' || c == '\t') ? ' ' : c;
  while (!excerpt.empty() && excerpt.back() == ' ') excerpt.pop_back();
  if (!excerpt.empty()) out.failure_reason += " " + excerpt;
  bool transient = status == 408 || status == 429 || (status >= 500 && status <= 599);
  out.disposition = transient ? Disposition::Deferred : Disposition::Failed;
  if (status == 429 || status == 503) out.retry_after_s = parse_retry_after(retry_after, now_unix);
  return out;
}

Outcome classify_transport_failure(std::string_view what) {
  Outcome out;
  out.disposition = Disposition::Deferred;
  out.failure_reason = std::string(what);
  return out;
}

const char* disposition_name(Disposition d) {
  switch (d) {
    case Disposition::Sent:
      return "sent";
    case Disposition::Deferred:
      return "deferred";
    case Disposition::Failed:
      return "failed";
  }
  return "?";
}

}  // namespace mc::delivery
