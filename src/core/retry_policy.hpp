// When a failed event is tried again: exponential back-off from the configured base,
// capped at one hour, until the configured number of attempts.
#pragma once

#include <cstdint>

namespace mc::core {

// Delay before attempt number failures + 1, in microseconds.
inline std::int64_t retry_delay_micros(std::int64_t base_micros, int failures) {
  constexpr std::int64_t kCap = 3600LL * 1000000;
  std::int64_t delay = base_micros;
  for (int i = 1; i < failures && delay < kCap; ++i) delay *= 2;
  return delay < kCap ? delay : kCap;
}

}  // namespace mc::core
