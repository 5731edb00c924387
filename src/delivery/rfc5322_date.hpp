// The Date header of RFC 5322 section 3.3, always in UTC: `Mon, 30 Nov 2026 12:00:55 +0000`.
// Written by hand, not with strftime, so the C locale of the process (a PostgreSQL backend's
// lc_time) cannot translate day or month names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mc::delivery {

std::string rfc5322_date(std::int64_t unix_seconds);

// Parses an RFC 5322 / IMF-fixdate date (`Sun, 06 Nov 1994 08:49:37 GMT`, numeric zones too)
// into Unix seconds; nullopt when malformed. HTTP's Retry-After uses it.
std::optional<std::int64_t> parse_rfc5322_date(std::string_view text);

}  // namespace mc::delivery
