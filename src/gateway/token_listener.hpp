// Keeps the token cache honest: a connection of its own LISTENs on mc_api_token_changed
// (notified by a trigger on mc.api_token at every revocation or change) and clears the cache
// on each notification. While it is not listening, the cache is off: every request then looks
// its token up. Reconnects every second after losing its connection.
#pragma once

#include <atomic>
#include <string>
#include <thread>

#include "gateway/token_cache.hpp"

namespace mcgw {

class TokenListener {
 public:
  TokenListener(std::string conninfo, TokenCache* cache);
  ~TokenListener();  // stops and joins
  TokenListener(const TokenListener&) = delete;
  TokenListener& operator=(const TokenListener&) = delete;

 private:
  void run();
  std::string conninfo_;
  TokenCache* cache_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace mcgw
