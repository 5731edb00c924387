#include "delivery/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace mc::delivery {

TokenBucket::TokenBucket(double rate, double burst, std::int64_t now_ms)
    : rate_(rate), burst_(std::max(1.0, burst)), tokens_(std::max(1.0, burst)), last_ms_(now_ms) {}

void TokenBucket::refill(std::int64_t now_ms) {
  if (now_ms > last_ms_) {
    tokens_ = std::min(burst_, tokens_ + double(now_ms - last_ms_) * rate_ / 1000.0);
    last_ms_ = now_ms;
  }
}

bool TokenBucket::try_take(std::int64_t now_ms) {
  if (unlimited()) return true;
  refill(now_ms);
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

std::int64_t TokenBucket::wait_ms(std::int64_t now_ms) {
  if (unlimited()) return 0;
  refill(now_ms);
  if (tokens_ >= 1.0) return 0;
  return static_cast<std::int64_t>(std::ceil((1.0 - tokens_) * 1000.0 / rate_));
}

}  // namespace mc::delivery
