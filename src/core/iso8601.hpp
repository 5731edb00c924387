// Timestamps in event documents: ISO 8601 / RFC 3339, the form JSON producers write.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mc::core {

// Microseconds since 1970-01-01 00:00:00 UTC, or nothing if the text is not
// YYYY-MM-DD[(T| )hh:mm[:ss[.ffffff]]][Z|(+|-)hh[:mm]]. Without an offset the time is UTC:
// an API document has no session time zone to fall back on.
std::optional<std::int64_t> parse_iso8601_utc_micros(std::string_view text);

}  // namespace mc::core
