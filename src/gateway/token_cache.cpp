#include "gateway/token_cache.hpp"

namespace mcgw {

TokenCache::TokenCache(std::chrono::milliseconds ttl, std::size_t max_entries)
    : ttl_(ttl), max_entries_(max_entries) {}

std::optional<std::string> TokenCache::find(const std::string& token, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(token);
  if (it == entries_.end()) return std::nullopt;
  if (now >= it->second.expires) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.role;
}

void TokenCache::put(const std::string& token, const std::string& role, unsigned long epoch,
                     Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!enabled_ || ttl_.count() <= 0 || epoch != epoch_ || role.empty()) return;
  // Full: start over rather than track recency; the next requests refill it, one lookup each.
  if (entries_.size() >= max_entries_ && !entries_.count(token)) entries_.clear();
  entries_[token] = Entry{role, now + ttl_};
}

void TokenCache::forget(const std::string& token) {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.erase(token);
}

void TokenCache::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.clear();
  ++epoch_;
}

unsigned long TokenCache::epoch() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return epoch_;
}

void TokenCache::set_enabled(bool enabled) {
  std::lock_guard<std::mutex> lock(mutex_);
  enabled_ = enabled;
  entries_.clear();
  ++epoch_;
}

std::size_t TokenCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

}  // namespace mcgw
