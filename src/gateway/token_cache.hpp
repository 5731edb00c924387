// Remembers, for a short time, the role an API token mapped to, so that a request with a known
// token sets its role directly instead of asking mc.api_token_role again: that lookup (a
// SECURITY DEFINER function: search_path switch, SHA-256, two index probes) was a quarter of
// the database's work per push (bench/gateway profile). The database still decides every
// privilege: the role is set for each transaction, and a role that was dropped or left the
// gateway login's memberships fails there (the entry is then forgotten and looked up again).
//
// Revocation is immediate while the listener (token_listener) is connected: mc.api_token
// notifies on every change and the cache is cleared. Without the listener the cache is off.
// The time limit bounds what no notification covers (a role made superuser after its token
// was issued is refused by the lookup at the latest `ttl` later).
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace mcgw {

class TokenCache {
 public:
  using Clock = std::chrono::steady_clock;

  // ttl zero: nothing is ever remembered.
  TokenCache(std::chrono::milliseconds ttl, std::size_t max_entries);

  std::optional<std::string> find(const std::string& token, Clock::time_point now = Clock::now());
  // Remembered only while enabled, and only if no clear() happened since `epoch()` was read
  // (a revocation racing with the lookup that produced `role` must win).
  void put(const std::string& token, const std::string& role, unsigned long epoch,
           Clock::time_point now = Clock::now());
  void forget(const std::string& token);
  // Forgets everything; bumps the epoch.
  void clear();
  unsigned long epoch() const;
  // The listener enables the cache once it listens, and disables (and clears) it when its
  // connection is lost: a revocation it could not hear must not be served from memory.
  void set_enabled(bool enabled);
  std::size_t size() const;

 private:
  struct Entry {
    std::string role;
    Clock::time_point expires;
  };
  std::chrono::milliseconds ttl_;
  std::size_t max_entries_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  unsigned long epoch_ = 0;
  bool enabled_ = false;
};

}  // namespace mcgw
