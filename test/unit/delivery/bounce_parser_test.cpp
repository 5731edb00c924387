#include "delivery/bounce_parser.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace mc::delivery;

namespace {
std::string fixture(const std::string& name) {
  std::ifstream in(std::string(MC_DELIVERY_FIXTURES) + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_FALSE(ss.str().empty()) << name;
  return ss.str();
}
}  // namespace

TEST(BounceParser, PostfixDsnUserUnknown) {
  auto r = parse_bounce(fixture("postfix_user_unknown.eml"));
  EXPECT_TRUE(r.is_dsn);
  EXPECT_EQ(r.reporting_mta, "mx.example.test");
  EXPECT_EQ(r.message_ids, std::vector<std::string>{"<4711.9f3c2a7b1e5d@example.test>"});
  EXPECT_EQ(r.event_id, "4711");
  ASSERT_EQ(r.recipients.size(), 1u);
  const auto& rc = r.recipients[0];
  EXPECT_EQ(rc.final_recipient, "nobody@example.org");
  EXPECT_EQ(rc.original_recipient, "nobody@example.org");
  EXPECT_EQ(rc.action, "failed");
  EXPECT_EQ(rc.status, "5.1.1");
  EXPECT_EQ(rc.remote_mta, "mail.example.org");
  EXPECT_EQ(rc.diagnostic,
            "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in virtual "
            "mailbox table");
  EXPECT_EQ(rc.outcome.disposition, Disposition::Failed);
  EXPECT_EQ(rc.outcome.quarantine, QuarantineStrength::Hard);
  EXPECT_EQ(rc.outcome.quarantine_reason, "user_unknown");
  EXPECT_EQ(rc.outcome.failure_reason, rc.diagnostic);
}

TEST(BounceParser, ExchangeDsnWithOriginalMessage) {
  auto r = parse_bounce(fixture("exchange_recipient_not_found.eml"));
  EXPECT_TRUE(r.is_dsn);
  EXPECT_EQ(r.message_ids, std::vector<std::string>{"<4712.0a1b2c3d4e5f@example.test>"});
  EXPECT_EQ(r.event_id, "4712");
  ASSERT_EQ(r.recipients.size(), 1u);
  const auto& rc = r.recipients[0];
  EXPECT_EQ(rc.final_recipient, "j.doe@contoso.example");
  EXPECT_EQ(rc.status, "5.1.10");
  EXPECT_EQ(
      rc.diagnostic,
      "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup");
  EXPECT_EQ(rc.outcome.disposition, Disposition::Failed);
  // 5.1.10 is the null-MX code of RFC 7505 in the registry, but Exchange uses it for an unknown
  // recipient; either way the address is quarantined hard.
  EXPECT_EQ(rc.outcome.quarantine, QuarantineStrength::Hard);
  EXPECT_FALSE(rc.outcome.quarantine_reason.empty());
}

TEST(BounceParser, DelayedMailboxFullIsSoft) {
  auto r = parse_bounce(fixture("postfix_delayed_mailbox_full.eml"));
  EXPECT_TRUE(r.is_dsn);
  EXPECT_EQ(r.message_ids, std::vector<std::string>{"<4713.77aa88bb99cc@example.test>"});
  ASSERT_EQ(r.recipients.size(), 1u);
  EXPECT_EQ(r.recipients[0].action, "delayed");
  EXPECT_EQ(r.recipients[0].outcome.disposition, Disposition::Deferred);
  EXPECT_EQ(r.recipients[0].outcome.quarantine, QuarantineStrength::Soft);
  EXPECT_EQ(r.recipients[0].outcome.quarantine_reason, "mailbox_full");
}

TEST(BounceParser, QmailHeuristics) {
  auto r = parse_bounce(fixture("qmail_no_mailbox.eml"));
  EXPECT_FALSE(r.is_dsn);
  EXPECT_EQ(r.message_ids, std::vector<std::string>{"<4714.5e6f7a8b9c0d@example.test>"});
  EXPECT_EQ(r.event_id, "4714");
  ASSERT_EQ(r.recipients.size(), 1u);
  EXPECT_EQ(r.recipients[0].final_recipient, "ghost@example.net");
  EXPECT_EQ(r.recipients[0].status, "5.1.1");
  EXPECT_EQ(r.recipients[0].outcome.disposition, Disposition::Failed);
  EXPECT_EQ(r.recipients[0].outcome.quarantine_reason, "user_unknown");
}

TEST(BounceParser, SendmailStyleTranscript) {
  auto r = parse_bounce(fixture("plain_user_unknown.eml"));
  EXPECT_FALSE(r.is_dsn);
  EXPECT_EQ(r.message_ids, std::vector<std::string>{"<4715.aa00bb11cc22@example.test>"});
  ASSERT_EQ(r.recipients.size(), 1u);
  EXPECT_EQ(r.recipients[0].final_recipient, "lost@old.example.com");
  EXPECT_EQ(r.recipients[0].diagnostic.rfind("550 ", 0), 0u) << r.recipients[0].diagnostic;
  EXPECT_EQ(r.recipients[0].outcome.disposition, Disposition::Failed);
  EXPECT_EQ(r.recipients[0].outcome.quarantine_reason, "user_unknown");
}

TEST(BounceParser, OutOfOfficeIsNoBounce) {
  auto r = parse_bounce(fixture("out_of_office.eml"));
  EXPECT_TRUE(r.auto_reply);
  EXPECT_TRUE(r.recipients.empty());
}

TEST(BounceParser, GarbageNeverThrows) {
  EXPECT_TRUE(parse_bounce("").recipients.empty());
  EXPECT_TRUE(parse_bounce("\r\n\r\n\r\n").recipients.empty());
  std::string nested = "Content-Type: multipart/mixed; boundary=b\r\n\r\n";
  for (int i = 0; i < 50; ++i) nested += "--b\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n";
  EXPECT_NO_THROW(parse_bounce(nested));
  std::string report =
      "Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n"
      "--x\r\nContent-Type: message/delivery-status\r\n\r\nFinal-Recipient\r\n";
  EXPECT_NO_THROW(parse_bounce(report));
}
