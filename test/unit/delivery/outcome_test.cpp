#include "delivery/bounce_classifier.hpp"
#include "delivery/http_outcome.hpp"
#include "delivery/rfc5322_date.hpp"
#include "delivery/smtp_reply.hpp"

#include <gtest/gtest.h>

using namespace mc::delivery;

namespace {
Outcome smtp(const char* line) {
  auto r = parse_smtp_reply(line);
  EXPECT_TRUE(r.has_value()) << line;
  return classify_smtp_reply(*r);
}
}  // namespace

TEST(SmtpReply, ParsesCodeEnhancedAndText) {
  auto r = parse_smtp_reply("550 5.1.1 <x@example.test>: Recipient address rejected: User unknown");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code, 550);
  ASSERT_TRUE(r->enhanced);
  EXPECT_EQ(r->enhanced->str(), "5.1.1");
  EXPECT_EQ(r->text, "<x@example.test>: Recipient address rejected: User unknown");
  EXPECT_EQ(r->str(), "550 5.1.1 <x@example.test>: Recipient address rejected: User unknown");
}

TEST(SmtpReply, MultiLineAndWithoutEnhanced) {
  auto r = parse_smtp_reply("452-4.2.2 The mailbox is full\r\n452 4.2.2 Try again later\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code, 452);
  EXPECT_EQ(r->enhanced->str(), "4.2.2");
  EXPECT_EQ(r->text, "The mailbox is full Try again later");
  auto bare = parse_smtp_reply("550 No such user here");
  ASSERT_TRUE(bare);
  EXPECT_FALSE(bare->enhanced);
  EXPECT_EQ(bare->str(), "550 No such user here");
  EXPECT_FALSE(parse_smtp_reply("hello"));
  EXPECT_FALSE(parse_enhanced_status("3.1.1"));
  EXPECT_FALSE(parse_enhanced_status("5.1"));
  EXPECT_FALSE(parse_enhanced_status("5.1.1.1"));
}

TEST(SmtpReply, TrackerKeepsLastCompleteReplyIgnoringQuit) {
  SmtpReplyTracker t;
  t.feed("250-mx.example.test\r\n");
  t.feed("250 ENHANCEDSTATUSCODES\r\n");
  t.feed("550 5.1.1 user unknown\r\n");
  t.feed("221 2.0.0 Bye\r\n");
  ASSERT_TRUE(t.last());
  EXPECT_EQ(t.last()->str(), "550 5.1.1 user unknown");
}

TEST(BounceClassifier, SentDeferredFailed) {
  EXPECT_EQ(smtp("250 2.0.0 Ok: queued as 1234").disposition, Disposition::Sent);
  auto d = smtp("451 4.7.1 Greylisted, try again later");
  EXPECT_EQ(d.disposition, Disposition::Deferred);
  EXPECT_EQ(d.quarantine, QuarantineStrength::None);
  EXPECT_EQ(d.failure_reason, "451 4.7.1 Greylisted, try again later");
  auto f = smtp("550 5.1.1 <x@example.test>: User unknown");
  EXPECT_EQ(f.disposition, Disposition::Failed);
  EXPECT_EQ(f.quarantine, QuarantineStrength::Hard);
  EXPECT_EQ(f.quarantine_reason, "user_unknown");
  EXPECT_EQ(f.failure_reason, "550 5.1.1 <x@example.test>: User unknown");
  EXPECT_EQ(smtp("421 4.4.2 closing").disposition, Disposition::Deferred);
}

TEST(BounceClassifier, QuarantineVocabulary) {
  EXPECT_EQ(smtp("550 5.1.0 bad address").quarantine_reason, "user_unknown");
  EXPECT_EQ(smtp("553 5.1.3 bad syntax").quarantine_reason, "user_unknown");
  EXPECT_EQ(smtp("550 5.1.2 host unknown").quarantine_reason, "invalid_domain");
  EXPECT_EQ(smtp("550 5.1.10 null MX").quarantine_reason, "invalid_domain");
  EXPECT_EQ(smtp("550 5.4.4 unable to route").quarantine_reason, "invalid_domain");
  EXPECT_EQ(smtp("556 domain does not accept mail").quarantine_reason, "invalid_domain");
  auto full = smtp("552 5.2.2 mailbox full");
  EXPECT_EQ(full.disposition, Disposition::Failed);
  EXPECT_EQ(full.quarantine_reason, "mailbox_full");
  EXPECT_EQ(full.quarantine, QuarantineStrength::Soft);
  auto full4 = smtp("452 4.2.2 mailbox full");
  EXPECT_EQ(full4.disposition, Disposition::Deferred);
  EXPECT_EQ(full4.quarantine, QuarantineStrength::Soft);
  auto spam = smtp("550 5.7.1 Message rejected as spam");
  EXPECT_EQ(spam.disposition, Disposition::Failed);
  EXPECT_EQ(spam.quarantine_reason, "rejected");
  EXPECT_EQ(spam.quarantine, QuarantineStrength::None);
  auto big = smtp("552 5.3.4 message too big");
  EXPECT_EQ(big.disposition, Disposition::Failed);
  EXPECT_EQ(big.quarantine, QuarantineStrength::None);
  // Text rules when there is no enhanced code; a 4xx never quarantines hard.
  EXPECT_EQ(smtp("550 User unknown").quarantine_reason, "user_unknown");
  EXPECT_EQ(smtp("450 User unknown, try later").quarantine, QuarantineStrength::None);
  EXPECT_EQ(smtp("550 Requested action not taken").quarantine, QuarantineStrength::None);
}

TEST(BounceClassifier, SoftQuarantineCounter) {
  SoftQuarantineRule rule;  // 3 failures over at least a day
  EXPECT_FALSE(soft_quarantine_due(rule, 1, 0, 0));
  EXPECT_FALSE(soft_quarantine_due(rule, 5, 0, 3600));
  EXPECT_FALSE(soft_quarantine_due(rule, 2, 0, 3 * 86400));
  EXPECT_TRUE(soft_quarantine_due(rule, 3, 0, 86400));
}

TEST(HttpOutcome, Classes) {
  const std::int64_t now = 1796040055;
  EXPECT_EQ(classify_http_status(200, {}, "", "", now).disposition, Disposition::Sent);
  EXPECT_EQ(classify_http_status(204, {}, "", "", now).disposition, Disposition::Sent);
  auto r429 = classify_http_status(429, {}, "7", "slow down", now);
  EXPECT_EQ(r429.disposition, Disposition::Deferred);
  EXPECT_EQ(r429.retry_after_s, 7);
  EXPECT_EQ(r429.failure_reason, "HTTP 429 slow down");
  auto r503 = classify_http_status(503, {}, "Mon, 30 Nov 2026 12:02:55 GMT", "", now);
  EXPECT_EQ(r503.retry_after_s, 120);
  EXPECT_EQ(classify_http_status(500, {}, "", "", now).disposition, Disposition::Deferred);
  EXPECT_FALSE(classify_http_status(500, {}, "3", "", now).retry_after_s);
  EXPECT_EQ(classify_http_status(408, {}, "", "", now).disposition, Disposition::Deferred);
  auto bad = classify_http_status(400, {}, "", "{\"error\":\n\"bad\"}", now);
  EXPECT_EQ(bad.disposition, Disposition::Failed);
  EXPECT_EQ(bad.failure_reason, "HTTP 400 {\"error\": \"bad\"}");
  EXPECT_EQ(classify_http_status(301, {}, "", "", now).disposition, Disposition::Failed);
  // Configured success codes replace 2xx.
  EXPECT_EQ(classify_http_status(202, {200}, "", "", now).disposition, Disposition::Failed);
  EXPECT_EQ(classify_http_status(200, {200, 201}, "", "", now).disposition, Disposition::Sent);
  EXPECT_EQ(classify_transport_failure("timeout").disposition, Disposition::Deferred);
}

TEST(HttpOutcome, RetryAfterForms) {
  const std::int64_t now = 1796040055;
  EXPECT_EQ(parse_retry_after(" 120 ", now), 120);
  EXPECT_EQ(parse_retry_after("Mon, 30 Nov 2026 12:00:50 GMT", now), 0);  // in the past
  EXPECT_EQ(parse_retry_after("Mon, 30 Nov 2026 13:00:55 GMT", now), 3600);
  EXPECT_FALSE(parse_retry_after("soon", now));
  EXPECT_FALSE(parse_retry_after("", now));
  EXPECT_FALSE(parse_retry_after("-5", now));
}

TEST(Rfc5322Date, FormatsAndParses) {
  EXPECT_EQ(rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(rfc5322_date(1796040055), "Mon, 30 Nov 2026 12:00:55 +0000");
  EXPECT_EQ(rfc5322_date(951782400), "Tue, 29 Feb 2000 00:00:00 +0000");
  EXPECT_EQ(parse_rfc5322_date("Mon, 30 Nov 2026 12:00:55 +0000"), 1796040055);
  EXPECT_EQ(parse_rfc5322_date("Mon, 30 Nov 2026 14:00:55 +0200"), 1796040055);
  EXPECT_EQ(parse_rfc5322_date("30 Nov 2026 12:00:55 GMT"), 1796040055);
  EXPECT_FALSE(parse_rfc5322_date("yesterday"));
}
