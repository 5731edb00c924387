// Rate limit of one provider (max_per_second): a token bucket refilled continuously at `rate`
// per second, holding at most `burst` tokens. Time is passed in (monotonic milliseconds), so
// the engine and the tests decide what "now" is.
#pragma once

#include <cstdint>

namespace mc::delivery {

class TokenBucket {
 public:
  // rate <= 0: unlimited.
  TokenBucket(double rate_per_s, double burst, std::int64_t now_ms);

  // Takes one token when available.
  bool try_take(std::int64_t now_ms);
  // Milliseconds until a token is available (0: now).
  std::int64_t wait_ms(std::int64_t now_ms);
  bool unlimited() const { return rate_ <= 0; }

 private:
  void refill(std::int64_t now_ms);
  double rate_;
  double burst_;
  double tokens_;
  std::int64_t last_ms_;
};

}  // namespace mc::delivery
