#include "delivery/retry_schedule.hpp"

#include <algorithm>
#include <cmath>

namespace mc::delivery {

RetrySchedule::RetrySchedule(RetryPolicy policy, std::uint64_t seed)
    : policy_(policy), rng_(seed) {}

std::int64_t RetrySchedule::base_delay(int attempts) const {
  int n = std::max(1, attempts);
  // Computed in double and clamped before conversion: multiplier^n overflows quickly.
  double d = double(policy_.initial_s) * std::pow(policy_.multiplier, n - 1);
  if (!(d < double(policy_.cap_s))) return policy_.cap_s;
  return std::max<std::int64_t>(policy_.min_delay_s, static_cast<std::int64_t>(d));
}

RetryDecision RetrySchedule::next(int attempts, std::int64_t now_unix,
                                  std::optional<std::int64_t> retry_after_s,
                                  std::optional<std::int64_t> valid_until_unix) {
  RetryDecision decision;
  if (policy_.max_attempts > 0 && attempts >= policy_.max_attempts) {
    decision.give_up = true;
    return decision;
  }
  std::int64_t base = base_delay(attempts);
  std::int64_t floor = std::min(policy_.min_delay_s, base);
  std::uniform_int_distribution<std::int64_t> jitter(floor, base);
  std::int64_t delay = jitter(rng_);
  // The server's Retry-After is the earliest retry, even above the cap (it knows best).
  if (retry_after_s && *retry_after_s > delay) delay = *retry_after_s;
  decision.retry_at_unix = now_unix + delay;
  if (valid_until_unix && decision.retry_at_unix > *valid_until_unix) decision.give_up = true;
  return decision;
}

}  // namespace mc::delivery
