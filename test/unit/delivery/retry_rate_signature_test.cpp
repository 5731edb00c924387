#include "delivery/retry_schedule.hpp"
#include "delivery/token_bucket.hpp"
#include "delivery/webhook_signature.hpp"

#include <gtest/gtest.h>

using namespace mc::delivery;

TEST(RetrySchedule, ExponentialJitterWithinBoundsAndCap) {
  RetryPolicy p;
  p.initial_s = 10;
  p.cap_s = 300;
  p.min_delay_s = 2;
  RetrySchedule s(p, 42);
  EXPECT_EQ(s.base_delay(1), 10);
  EXPECT_EQ(s.base_delay(2), 20);
  EXPECT_EQ(s.base_delay(5), 160);
  EXPECT_EQ(s.base_delay(6), 300);
  EXPECT_EQ(s.base_delay(1000), 300);  // no overflow
  bool varied = false;
  std::int64_t first = -1;
  for (int i = 0; i < 200; ++i) {
    auto d = s.next(3, 1000, std::nullopt, std::nullopt);
    ASSERT_FALSE(d.give_up);
    ASSERT_GE(d.retry_at_unix, 1002);
    ASSERT_LE(d.retry_at_unix, 1040);
    if (first < 0) first = d.retry_at_unix;
    if (d.retry_at_unix != first) varied = true;
  }
  EXPECT_TRUE(varied);
  for (int i = 0; i < 100; ++i)
    ASSERT_LE(s.next(40, 0, std::nullopt, std::nullopt).retry_at_unix, 300);
}

TEST(RetrySchedule, HonoursRetryAfterAndValidity) {
  RetryPolicy p;
  p.initial_s = 10;
  p.cap_s = 60;
  RetrySchedule s(p, 1);
  auto d = s.next(1, 1000, 500, std::nullopt);  // server asks 500 s: above the cap, honoured
  EXPECT_EQ(d.retry_at_unix, 1500);
  EXPECT_FALSE(d.give_up);
  auto late = s.next(1, 1000, 500, 1200);  // beyond validity: give up
  EXPECT_TRUE(late.give_up);
  auto ok = s.next(1, 1000, std::nullopt, 1100);
  EXPECT_FALSE(ok.give_up);
  EXPECT_TRUE(s.next(1, 1000, std::nullopt, 1000).give_up);
  p.max_attempts = 3;
  RetrySchedule limited(p, 1);
  EXPECT_FALSE(limited.next(2, 0, std::nullopt, std::nullopt).give_up);
  EXPECT_TRUE(limited.next(3, 0, std::nullopt, std::nullopt).give_up);
}

TEST(TokenBucket, RateAndBurst) {
  TokenBucket b(10.0, 2.0, 0);  // 10/s, burst 2
  EXPECT_TRUE(b.try_take(0));
  EXPECT_TRUE(b.try_take(0));
  EXPECT_FALSE(b.try_take(0));
  EXPECT_EQ(b.wait_ms(0), 100);
  EXPECT_FALSE(b.try_take(50));
  EXPECT_TRUE(b.try_take(100));
  EXPECT_FALSE(b.try_take(100));
  // Over 10 s at most 100 (+ burst) tokens.
  int taken = 0;
  for (std::int64_t t = 100; t <= 10100; t += 5) taken += b.try_take(t);
  EXPECT_GE(taken, 99);
  EXPECT_LE(taken, 102);
  TokenBucket unlimited(0, 1, 0);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(unlimited.try_take(0));
}

// RFC 4231 HMAC-SHA256 test vectors (cases 1, 2, 3, 4, 6, 7).
TEST(WebhookSignature, Rfc4231Vectors) {
  EXPECT_EQ(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hmac_sha256_hex(std::string(20, '\xaa'), std::string(50, '\xdd')),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  std::string key4;
  for (int i = 1; i <= 25; ++i) key4 += char(i);
  EXPECT_EQ(hmac_sha256_hex(key4, std::string(50, '\xcd')),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  EXPECT_EQ(hmac_sha256_hex(std::string(131, '\xaa'),
                            "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(hmac_sha256_hex(std::string(131, '\xaa'),
                            "This is a test using a larger than block-size key and a larger than "
                            "block-size data. The key needs to be hashed before being used by the "
                            "HMAC algorithm."),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST(WebhookSignature, HeaderFormatAndVerify) {
  std::string sig = webhook_signature("Jefe", "what do ya want for nothing?");
  EXPECT_EQ(sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_TRUE(verify_webhook_signature("Jefe", "what do ya want for nothing?", sig));
  EXPECT_FALSE(verify_webhook_signature("Jefe", "what do ya want for nothing!", sig));
  EXPECT_FALSE(verify_webhook_signature("jefe", "what do ya want for nothing?", sig));
  EXPECT_FALSE(verify_webhook_signature("Jefe", "what do ya want for nothing?", sig.substr(1)));
  EXPECT_EQ(webhook_signature("", "").size(), 71u);
}

// The same token as SQL's mc.unsubscribe_token (value from Python's hmac module; the pgTAP
// test compares the rendered header with the SQL function itself).
TEST(UnsubscribeToken, IdDotHmacOfIdAndAddress) {
  EXPECT_EQ(unsubscribe_token(std::string(32, 'k'), 42, "ann@example.org"),
            "42.6534b672ad91f9366d47b794d8ebe2485d2712ccc8741d0b1902f71cbdf8f143");
}
