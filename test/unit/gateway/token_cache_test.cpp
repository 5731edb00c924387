// The gateway's token cache (token_cache.hpp): what it remembers, for how long, and that a
// revocation (clear) always wins over a lookup that raced with it.
#include "gateway/token_cache.hpp"

#include <gtest/gtest.h>

using mcgw::TokenCache;
using namespace std::chrono_literals;

namespace {
const TokenCache::Clock::time_point t0 = TokenCache::Clock::now();
}

TEST(TokenCache, OffUntilEnabled) {
  TokenCache c(10s, 100);
  c.put("tok", "writer", c.epoch(), t0);
  EXPECT_FALSE(c.find("tok", t0));
  c.set_enabled(true);
  c.put("tok", "writer", c.epoch(), t0);
  EXPECT_EQ(c.find("tok", t0).value_or(""), "writer");
}

TEST(TokenCache, ExpiresAfterTtl) {
  TokenCache c(10s, 100);
  c.set_enabled(true);
  c.put("tok", "writer", c.epoch(), t0);
  EXPECT_TRUE(c.find("tok", t0 + 9s));
  EXPECT_FALSE(c.find("tok", t0 + 10s));
  EXPECT_EQ(c.size(), 0u);
}

TEST(TokenCache, ClearWinsOverARacingLookup) {
  TokenCache c(10s, 100);
  c.set_enabled(true);
  unsigned long before = c.epoch();  // a lookup starts
  c.clear();                         // a revocation is heard meanwhile
  c.put("tok", "writer", before, t0);
  EXPECT_FALSE(c.find("tok", t0));
}

TEST(TokenCache, DisablingForgetsEverything) {
  TokenCache c(10s, 100);
  c.set_enabled(true);
  c.put("a", "r1", c.epoch(), t0);
  c.set_enabled(false);
  EXPECT_FALSE(c.find("a", t0));
  c.put("a", "r1", c.epoch(), t0);
  EXPECT_FALSE(c.find("a", t0));
}

TEST(TokenCache, ForgetAndBound) {
  TokenCache c(10s, 2);
  c.set_enabled(true);
  c.put("a", "r1", c.epoch(), t0);
  c.put("b", "r2", c.epoch(), t0);
  c.forget("a");
  EXPECT_FALSE(c.find("a", t0));
  c.put("a", "r1", c.epoch(), t0);
  c.put("c", "r3", c.epoch(), t0);  // full: starts over
  EXPECT_LE(c.size(), 2u);
  EXPECT_EQ(c.find("c", t0).value_or(""), "r3");
}

TEST(TokenCache, ZeroTtlAndEmptyRoleNeverRemembered) {
  TokenCache off(0s, 100);
  off.set_enabled(true);
  off.put("tok", "writer", off.epoch(), t0);
  EXPECT_FALSE(off.find("tok", t0));
  TokenCache c(10s, 100);
  c.set_enabled(true);
  c.put("tok", "", c.epoch(), t0);
  EXPECT_FALSE(c.find("tok", t0));
}
