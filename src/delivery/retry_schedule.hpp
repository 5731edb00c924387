// When to try a deferred message again: exponential back-off with full jitter (AWS
// "Exponential Backoff And Jitter"), capped, never before the server's Retry-After, never beyond
// the message's validity end; past it the message fails.
//   base delay(n) = min(cap, initial * multiplier^(n-1))     n = attempts made so far (>= 1)
//   delay         = max(retry_after, floor + uniform(0, base - floor))   floor = min_delay
//   retry at now + delay, unless that is after valid_until: then give up (failed).
#pragma once

#include <cstdint>
#include <optional>
#include <random>

namespace mc::delivery {

struct RetryPolicy {
  std::int64_t initial_s = 30;
  double multiplier = 2.0;
  std::int64_t cap_s = 3600;
  std::int64_t min_delay_s = 5;  // jitter never goes below this
  int max_attempts = 0;          // 0: bounded by validity only
};

struct RetryDecision {
  bool give_up = false;            // validity (or max_attempts) exhausted: report failed
  std::int64_t retry_at_unix = 0;  // when not giving up
};

class RetrySchedule {
 public:
  explicit RetrySchedule(RetryPolicy policy = {}, std::uint64_t seed = std::random_device{}());

  // `attempts`: attempts made so far, this one included (>= 1). `valid_until_unix`: the
  // message's validity end (nullopt: none).
  RetryDecision next(int attempts, std::int64_t now_unix, std::optional<std::int64_t> retry_after_s,
                     std::optional<std::int64_t> valid_until_unix);

  // The jitter-free upper bound of the delay after `attempts` attempts.
  std::int64_t base_delay(int attempts) const;

 private:
  RetryPolicy policy_;
  std::mt19937_64 rng_;
};

}  // namespace mc::delivery
