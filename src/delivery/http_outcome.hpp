// Classifies an HTTP provider's answer (spec section 8; RFC 9110, RFC 6585):
//   a success code (default: any 2xx; else the provider's success_codes) ...... sent
//   408, 429, 5xx, timeouts, connection failures ............................... deferred
//     (429 and 503 with Retry-After: retry_after_s set, seconds or HTTP-date)
//   any other status (other 4xx, unexpected 1xx/3xx) ........................... failed
// failure_reason: `HTTP 400 <first 200 bytes of the body, one line>`.
#pragma once

#include "delivery/outcome.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mc::delivery {

// Retry-After: delay-seconds or an HTTP-date, as seconds from `now_unix` (never negative);
// nullopt when absent or malformed.
std::optional<std::int64_t> parse_retry_after(std::string_view value, std::int64_t now_unix);

// `success_codes` empty: 2xx. `retry_after` is the raw header value (empty: none).
Outcome classify_http_status(long status, const std::vector<int>& success_codes,
                             std::string_view retry_after, std::string_view body,
                             std::int64_t now_unix);

// A transfer that never got a status (timeout, refused connection, TLS failure): deferred.
Outcome classify_transport_failure(std::string_view what);

}  // namespace mc::delivery
