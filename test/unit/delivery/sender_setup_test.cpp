// Refusals that happen before any network traffic: a job whose setup fails completes as failed
// ("not sent: ...") through the normal take_completed() path, and never reaches curl.
#include "delivery/http_sender.hpp"
#include "delivery/provider_config.hpp"
#include "delivery/smtp_sender.hpp"

#include <gtest/gtest.h>

using namespace mc::delivery;

TEST(SenderSetup, SmtpEnvelopeInjectionRefusedBeforeSending) {
  auto cfg =
      parse_provider_config("p", "email", "smtp", "smtp://127.0.0.1:9", R"({"starttls":"off"})");
  SmtpSender sender(cfg.smtp);
  sender.add(
      SmtpJob{1, "a@example.test", "b@example.org>\r\nRCPT TO:<c@example.org", "x\r\n", "<m@x>"});
  sender.add(SmtpJob{2, "a@example.test\r\nDATA", "b@example.org", "x\r\n", "<m2@x>"});
  EXPECT_EQ(sender.poll(100), 2u);
  auto r = sender.take_completed();
  ASSERT_EQ(r.size(), 2u);
  for (const auto& x : r) {
    EXPECT_EQ(x.outcome.disposition, Disposition::Failed);
    EXPECT_EQ(x.outcome.failure_reason.rfind("not sent: envelope address", 0), 0u)
        << x.outcome.failure_reason;
  }
  EXPECT_EQ(sender.stats().transfers_done, 0u);
  EXPECT_TRUE(sender.idle());
}

TEST(SenderSetup, HttpBadUrlOrHeaderRefusedBeforeSending) {
  auto cfg = parse_provider_config("p", "sms", "http", "http://127.0.0.1:9/x", "{}");
  HttpSender sender(cfg.http);
  HttpJob bad_url;
  bad_url.id = 1;
  bad_url.url = "file:///etc/passwd";
  HttpJob bad_header;
  bad_header.id = 2;
  bad_header.url = "http://127.0.0.1:9/x";
  bad_header.headers = {{"X-A", "v\r\nX-B: w"}};
  sender.add(bad_url);
  sender.add(bad_header);
  sender.poll(100);
  auto r = sender.take_completed();
  ASSERT_EQ(r.size(), 2u);
  for (const auto& x : r)
    EXPECT_EQ(x.outcome.disposition, Disposition::Failed) << x.outcome.failure_reason;
  EXPECT_EQ(sender.stats().transfers_done, 0u);
}

TEST(SenderSetup, IdleSenderPollReturnsAtOnce) {
  auto cfg = parse_provider_config("p", "sms", "http", "http://127.0.0.1:9/x", "{}");
  HttpSender sender(cfg.http);
  auto t0 = monotonic_ms();
  EXPECT_EQ(sender.poll(1000), 0u);
  EXPECT_LT(monotonic_ms() - t0, 50);
  EXPECT_EQ(sender.wait_timeout_ms(), -1);
  EXPECT_TRUE(sender.wait_sockets().empty());
}
