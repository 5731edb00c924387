// Drives a sender (SmtpSender, HttpSender) the way a sender worker's loop does: poll, take what
// completed, until it is idle or `limit_ms` has passed. The results in id order.
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

namespace mc::delivery::testing {

template <typename Sender>
auto drive_until_idle(Sender& sender, int limit_ms = 30000) {
  using Result = typename decltype(sender.take_completed())::value_type;
  std::vector<Result> all;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(limit_ms);
  while (!sender.idle() && std::chrono::steady_clock::now() < deadline) {
    sender.poll(100);
    for (auto& r : sender.take_completed()) all.push_back(std::move(r));
  }
  for (auto& r : sender.take_completed()) all.push_back(std::move(r));
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return all;
}

}  // namespace mc::delivery::testing
