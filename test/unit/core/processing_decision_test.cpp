// Every status transition of a claimed event (core/processing_decision.hpp).
#include "core/processing_decision.hpp"

#include <gtest/gtest.h>

#include "core/retry_policy.hpp"

using namespace mc::core;

namespace {

constexpr std::int64_t kNow = 1'000'000'000;
constexpr std::int64_t kSecond = 1'000'000;
const PublishedCandidate kTemplate{7, "order_confirmed", 0, std::nullopt, 1, false};
const Route kRouted{RouteOutcome::Routed, &kTemplate};
const Route kPaused{RouteOutcome::Paused, &kTemplate};
const Route kNoTemplate{RouteOutcome::NoTemplate, nullptr};
const ProcessingSettings kSettings{3, 10 * kSecond};

ClaimedFacts email_event() {
  ClaimedFacts e;
  e.type = "order_confirmed";
  e.channel = Channel::Email;
  e.email = "a@example.com";
  return e;
}

RenderResult rendered(bool quarantined = false, std::string_view webhook_url = {}) {
  RenderResult r;
  r.state = RenderResult::State::Rendered;
  r.quarantined = quarantined;
  r.webhook_url = webhook_url;
  return r;
}

RenderResult failed() {
  RenderResult r;
  r.state = RenderResult::State::Failed;
  r.template_name = "order";
  r.error = "partial \"footer\" not found";
  return r;
}

// Leaves the queue without a delivery.
void expect_closed(const Decision& d, EventStatus status, int errors) {
  EXPECT_EQ(d.status, status);
  EXPECT_EQ(d.error_count, errors);
  EXPECT_EQ(d.processed_at, kNow);
  EXPECT_FALSE(d.retry_at);
  EXPECT_EQ(d.log_status, LogStatus::None);
  EXPECT_FALSE(d.failure_reason);
  ASSERT_TRUE(d.last_error);
}

}  // namespace

TEST(ProcessingDecision, RoutedWithAnAddressIsRenderedFirst) {
  Decision d = decide(email_event(), kRouted, {}, kNow, kSettings);
  EXPECT_EQ(d.outcome, Outcome::Render);
  EXPECT_EQ(d.address, "a@example.com");
  EXPECT_EQ(d.status, EventStatus::Pending);
  EXPECT_FALSE(d.processed_at);
}

TEST(ProcessingDecision, RenderedGoesToPendingDeliveryWithAPendingLogRow) {
  ClaimedFacts e = email_event();
  e.error_count = 2;  // earlier failed attempts are kept
  Decision d = decide(e, kRouted, rendered(), kNow, kSettings);
  EXPECT_EQ(d.outcome, Outcome::Routed);
  EXPECT_EQ(d.status, EventStatus::PendingDelivery);
  EXPECT_EQ(event_status_label(d.status), "pending_delivery");
  EXPECT_EQ(d.log_status, LogStatus::Pending);
  EXPECT_EQ(log_status_label(d.log_status), "pending");
  EXPECT_EQ(d.error_count, 2);
  EXPECT_FALSE(d.last_error);
  EXPECT_FALSE(d.failure_reason);
  EXPECT_FALSE(d.retry_at);
  EXPECT_EQ(d.processed_at, kNow);
  EXPECT_EQ(d.address, "a@example.com");
}

TEST(ProcessingDecision, QuarantinedAddressIsIgnored) {
  Decision d = decide(email_event(), kRouted, rendered(true), kNow, kSettings);
  EXPECT_EQ(d.outcome, Outcome::Quarantined);
  EXPECT_EQ(d.status, EventStatus::PendingDelivery);
  EXPECT_EQ(d.log_status, LogStatus::Ignored);
  EXPECT_EQ(log_status_label(d.log_status), "ignored");
  EXPECT_EQ(d.failure_reason, "quarantined");
  EXPECT_EQ(d.processed_at, kNow);
}

TEST(ProcessingDecision, ExpiredBeforeProcessing) {
  ClaimedFacts e = email_event();
  e.expires_at = kNow;  // at now is too late
  e.error_count = 1;
  Decision d = decide(e, kRouted, rendered(), kNow, kSettings);
  EXPECT_EQ(d.outcome, Outcome::Expired);
  expect_closed(d, EventStatus::Expired, 1);
  EXPECT_EQ(event_status_label(d.status), "expired");
  EXPECT_EQ(*d.last_error, "expired before it could be processed");
}

TEST(ProcessingDecision, ExpiryComesBeforeRouting) {
  ClaimedFacts e = email_event();
  e.expires_at = kNow - 1;
  EXPECT_EQ(decide(e, kNoTemplate, {}, kNow, kSettings).outcome, Outcome::Expired);
  EXPECT_EQ(decide(e, kPaused, {}, kNow, kSettings).outcome, Outcome::Expired);
}

TEST(ProcessingDecision, NotYetExpiredIsProcessed) {
  ClaimedFacts e = email_event();
  e.expires_at = kNow + 1;
  EXPECT_EQ(decide(e, kRouted, {}, kNow, kSettings).outcome, Outcome::Render);
}

TEST(ProcessingDecision, NoTemplateIsNotTakenIntoAccount) {
  ClaimedFacts e = email_event();
  Decision d = decide(e, kNoTemplate, {}, kNow, kSettings);
  EXPECT_EQ(d.outcome, Outcome::NotTaken);
  expect_closed(d, EventStatus::NotTakenIntoAccount, 0);
  EXPECT_EQ(event_status_label(d.status), "not_taken_into_account");
  EXPECT_EQ(*d.last_error,
            "no published template for event type \"order_confirmed\" and channel email");
  e.language = "pt-BR";
  e.channel = Channel::Sms;
  EXPECT_EQ(*decide(e, kNoTemplate, {}, kNow, kSettings).last_error,
            "no published template for event type \"order_confirmed\" and channel sms "
            "(language pt-BR)");
}

TEST(ProcessingDecision, PausedTemplateWaitsWithoutCountingAnError) {
  ClaimedFacts e = email_event();
  e.error_count = 1;
  e.email.reset();  // waiting comes before the address check
  Decision d = decide(e, kPaused, {}, kNow, kSettings);
  EXPECT_EQ(d.outcome, Outcome::Wait);
  EXPECT_EQ(d.status, EventStatus::Pending);
  EXPECT_EQ(event_status_label(d.status), "pending");
  EXPECT_EQ(d.error_count, 1);
  EXPECT_FALSE(d.last_error);
  EXPECT_EQ(d.retry_at, kNow + kPausedRecheckMicros);
  EXPECT_FALSE(d.processed_at);
  EXPECT_EQ(d.log_status, LogStatus::None);
}

TEST(ProcessingDecision, MissingAddressIsNotTakenIntoAccount) {
  struct Case {
    Channel channel;
    const char* reason;
  };
  for (const Case& c : {Case{Channel::Email, "no email for channel email"},
                        Case{Channel::Sms, "no mobilePhone for channel sms"},
                        Case{Channel::PushIos, "no externalId for channel push_ios"},
                        Case{Channel::PushAndroid, "no externalId for channel push_android"}}) {
    ClaimedFacts e;
    e.type = "order_confirmed";
    e.channel = c.channel;
    Decision d = decide(e, kRouted, {}, kNow, kSettings);
    EXPECT_EQ(d.outcome, Outcome::NotTaken) << c.reason;
    expect_closed(d, EventStatus::NotTakenIntoAccount, 0);
    EXPECT_EQ(*d.last_error, c.reason);
  }
}

TEST(ProcessingDecision, EachChannelSendsToItsAddress) {
  ClaimedFacts e;
  e.type = "t";
  e.email = "a@example.com";
  e.mobile_phone = "+33600000000";
  e.external_id = "device-1";
  e.channel = Channel::Sms;
  EXPECT_EQ(decide(e, kRouted, {}, kNow, kSettings).address, "+33600000000");
  e.channel = Channel::PushIos;
  EXPECT_EQ(decide(e, kRouted, {}, kNow, kSettings).address, "device-1");
  e.channel = Channel::PushAndroid;
  EXPECT_EQ(decide(e, kRouted, rendered(), kNow, kSettings).address, "device-1");
}

TEST(ProcessingDecision, WebhookIsAddressedToItsRenderedUrl) {
  ClaimedFacts e;
  e.type = "t";
  e.channel = Channel::Webhook;  // no address field needed
  EXPECT_EQ(decide(e, kRouted, {}, kNow, kSettings).outcome, Outcome::Render);
  Decision d = decide(e, kRouted, rendered(false, "https://hook.example/x"), kNow, kSettings);
  EXPECT_EQ(d.outcome, Outcome::Routed);
  EXPECT_EQ(d.address, "https://hook.example/x");
  EXPECT_EQ(delivery_address(e, "u"), std::optional<std::string_view>("u"));
}

TEST(ProcessingDecision, FailedRenderIsRetriedWithBackOff) {
  ClaimedFacts e = email_event();
  Decision d = decide(e, kRouted, failed(), kNow, kSettings);
  EXPECT_EQ(d.outcome, Outcome::Retry);
  EXPECT_EQ(d.status, EventStatus::Pending);
  EXPECT_EQ(d.error_count, 1);
  EXPECT_EQ(*d.last_error, "template \"order\": partial \"footer\" not found");
  EXPECT_EQ(d.retry_at, kNow + 10 * kSecond);
  EXPECT_FALSE(d.processed_at);
  EXPECT_EQ(d.log_status, LogStatus::None);
  e.error_count = 1;  // the second failure waits twice as long
  EXPECT_EQ(decide(e, kRouted, failed(), kNow, kSettings).retry_at, kNow + 20 * kSecond);
}

TEST(ProcessingDecision, LastFailedAttemptExpires) {
  ClaimedFacts e = email_event();
  e.error_count = kSettings.max_attempts - 1;
  Decision d = decide(e, kRouted, failed(), kNow, kSettings);
  EXPECT_EQ(d.outcome, Outcome::Expired);
  expect_closed(d, EventStatus::Expired, kSettings.max_attempts);
  EXPECT_EQ(*d.last_error,
            "gave up after 3 attempts: template \"order\": partial \"footer\" not found");
}

TEST(ProcessingDecision, OneAttemptAllowedExpiresAtOnce) {
  ProcessingSettings once{1, kSecond};
  Decision d = decide(email_event(), kRouted, failed(), kNow, once);
  EXPECT_EQ(d.outcome, Outcome::Expired);
  EXPECT_EQ(d.error_count, 1);
}

TEST(ProcessingDecision, AnEventWhoseRowCannotBeWrittenIsRetriedThenExpires) {
  Decision d = failed_attempt(0, "row not written: 54000: ctx too large", kNow, kSettings);
  EXPECT_EQ(d.outcome, Outcome::Retry);
  EXPECT_EQ(d.status, EventStatus::Pending);
  EXPECT_EQ(d.error_count, 1);
  EXPECT_EQ(*d.last_error, "row not written: 54000: ctx too large");
  EXPECT_EQ(d.retry_at, kNow + 10 * kSecond);
  EXPECT_EQ(d.log_status, LogStatus::None);
  Decision last = failed_attempt(kSettings.max_attempts - 1, "row not written", kNow, kSettings);
  EXPECT_EQ(last.outcome, Outcome::Expired);
  expect_closed(last, EventStatus::Expired, kSettings.max_attempts);
  EXPECT_EQ(*last.last_error, "gave up after 3 attempts: row not written");
}

TEST(RetryPolicy, DoublesUpToAnHour) {
  EXPECT_EQ(retry_delay_micros(kSecond, 1), kSecond);
  EXPECT_EQ(retry_delay_micros(kSecond, 3), 4 * kSecond);
  EXPECT_EQ(retry_delay_micros(kSecond, 40), 3600 * kSecond);
}
