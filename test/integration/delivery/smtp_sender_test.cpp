// The SMTP sender against a real SMTP server (aiosmtpd, test/servers/smtp_server.py) on
// loopback; received messages are checked with Python's email package (mail_summary.py).
#include "delivery/dkim_signer.hpp"
#include "delivery/dkim_verifier.hpp"
#include "delivery/mime_message.hpp"
#include "delivery/provider_config.hpp"
#include "delivery/smtp_sender.hpp"
#include "delivery/transfer_encoding.hpp"
#include "drive_sender.hpp"
#include "server_process.hpp"
#include "test_keys.hpp"

#include <gtest/gtest.h>

#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>

using namespace mc::delivery;
using mc::delivery::testing::drive_until_idle;
using mc::delivery::testing::mail_summary;
using mc::delivery::testing::ServerProcess;

namespace {
SmtpOptions options_for(int port, const std::string& extra = "") {
  std::string opts = R"({"starttls":"off")" + (extra.empty() ? "" : "," + extra) + "}";
  return parse_provider_config("test", "email", "smtp", "smtp://127.0.0.1:" + std::to_string(port),
                               opts)
      .smtp;
}

SmtpJob job_for(std::uint64_t id, const std::string& rcpt, MailFields f = {}) {
  if (f.from_address.empty()) f.from_address = "news@example.test";
  f.to_address = rcpt;
  if (f.subject.empty()) f.subject = "Message " + std::to_string(id);
  if (f.text.empty() && f.html.empty()) f.text = "Hello " + std::to_string(id) + "\n";
  f.event_id = std::to_string(id);
  auto built = build_message(f);
  return SmtpJob{id, "bounces+" + std::to_string(id) + "@example.test", rcpt, built.bytes,
                 built.message_id};
}

}  // namespace

TEST(SmtpSender, DeliversMessageCheckedByPythonEmail) {
  ServerProcess server("smtp_server.py", {});
  SmtpSender sender(options_for(server.port()));
  MailFields f;
  f.from_name = "Zoë's \"News\"";
  f.to_name = "Ann";
  f.subject = "Grüße – Привет – 你好, a subject long enough to need several encoded-words here";
  f.text = "Hello Ann,\n.a line with a leading dot\nÄpfel & Birnen\n";
  f.html = "<p>Hello <b>Ann</b> &amp; co — ünïcödé</p>\n";
  f.unsubscribe_url = "https://example.test/u/tok123";
  f.extra_headers = {{"X-MC-Event-Id", "7"}};
  auto job = job_for(7, "ok.ann@example.org", f);
  std::string message_id = job.message_id;
  sender.add(std::move(job));
  auto results = drive_until_idle(sender);
  ASSERT_EQ(results.size(), 1u);
  const auto& r = results[0];
  EXPECT_EQ(r.outcome.disposition, Disposition::Sent) << r.outcome.failure_reason << r.curl_error;
  EXPECT_EQ(r.reply.rfind("250 2.0.0 Ok: queued as", 0), 0u) << r.reply;
  EXPECT_EQ(r.message_id, message_id);
  ASSERT_TRUE(server.wait_for("messages", 1));

  auto s = mail_summary(server.dir() + "/1.eml");
  ASSERT_TRUE(s.is_object());
  EXPECT_TRUE(s["defects"].empty()) << s["defects"];
  EXPECT_EQ(s["headers"]["Subject"], f.subject);
  EXPECT_EQ(s["headers"]["From"], "\"Zoë's \\\"News\\\"\" <news@example.test>");
  EXPECT_EQ(s["headers"]["To"], "Ann <ok.ann@example.org>");
  EXPECT_EQ(s["headers"]["Message-ID"], message_id);
  EXPECT_EQ(s["headers"]["MIME-Version"], "1.0");
  EXPECT_EQ(s["headers"]["List-Unsubscribe"], "<https://example.test/u/tok123>");
  EXPECT_EQ(s["headers"]["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click");
  EXPECT_EQ(s["headers"]["X-MC-Event-Id"], "7");
  EXPECT_EQ(s["header_count"]["subject"], 1);
  EXPECT_EQ(s["content_type"], "multipart/alternative");
  ASSERT_EQ(s["parts"].size(), 2u);
  EXPECT_EQ(s["parts"][0]["content_type"], "text/plain");
  EXPECT_EQ(s["parts"][0]["charset"], "utf-8");
  // The decoded parts keep the CRLF line ends of the canonical form (RFC 2046 4.1.1).
  EXPECT_EQ(s["parts"][0]["text"],
            normalize_crlf(f.text));  // the leading dot survived curl's dot-stuffing
  EXPECT_EQ(s["parts"][1]["content_type"], "text/html");
  EXPECT_EQ(s["parts"][1]["text"], normalize_crlf(f.html));
  EXPECT_EQ(s["bare_lf"], 0);
  EXPECT_EQ(s["bare_cr"], 0);
  EXPECT_FALSE(s["eight_bit"].get<bool>());
  EXPECT_LE(s["max_line"].get<int>(), 78);
  auto env = ServerProcess::read_json(server.dir() + "/1.json");
  EXPECT_EQ(env["mail_from"], "bounces+7@example.test");
  EXPECT_EQ(env["rcpt_tos"], nlohmann::json::array({"ok.ann@example.org"}));
}

TEST(SmtpSender, ReusesConnectionsWithinMaxConnections) {
  ServerProcess server("smtp_server.py", {});
  SmtpSender sender(options_for(server.port(), R"("max_connections":2)"));
  const int n = 20;
  for (int i = 1; i <= n; ++i) sender.add(job_for(i, "ok" + std::to_string(i) + "@example.org"));
  auto results = drive_until_idle(sender);
  ASSERT_EQ(results.size(), std::size_t(n));
  int opened = 0;
  for (const auto& r : results) {
    EXPECT_EQ(r.outcome.disposition, Disposition::Sent) << r.outcome.failure_reason;
    opened += r.new_connection;
  }
  ASSERT_TRUE(server.wait_for("messages", n));
  auto stats = server.stats();
  EXPECT_EQ(stats["messages"], n);
  EXPECT_LE(stats["connections"].get<int>(), 2) << stats;
  EXPECT_GE(stats["connections"].get<int>(), 1);
  EXPECT_EQ(opened, stats["connections"].get<int>());
}

TEST(SmtpSender, MaxMessagesPerConnectionForcesNewConnections) {
  ServerProcess server("smtp_server.py", {});
  SmtpSender sender(
      options_for(server.port(), R"("max_connections":1,"max_messages_per_connection":3)"));
  for (int i = 1; i <= 10; ++i) sender.add(job_for(i, "ok" + std::to_string(i) + "@example.org"));
  auto results = drive_until_idle(sender);
  ASSERT_EQ(results.size(), 10u);
  for (const auto& r : results) EXPECT_EQ(r.outcome.disposition, Disposition::Sent);
  ASSERT_TRUE(server.wait_for("messages", 10));
  auto stats = server.stats();
  EXPECT_EQ(stats["connections"], 4) << stats;  // 3 + 3 + 3 + 1
  for (const auto& c : stats["per_connection"]) EXPECT_LE(c.get<int>(), 3) << stats;
}

TEST(SmtpSender, GreylistIsDeferredThenSent) {
  ServerProcess server("smtp_server.py", {});
  SmtpSender sender(options_for(server.port()));
  sender.add(job_for(1, "greylist@example.org"));
  auto first = drive_until_idle(sender);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].outcome.disposition, Disposition::Deferred);
  EXPECT_EQ(first[0].outcome.failure_reason, "451 4.7.1 Greylisted, try again later");
  EXPECT_EQ(first[0].outcome.quarantine, QuarantineStrength::None);
  EXPECT_EQ(first[0].reply_code, 451);
  sender.add(job_for(2, "greylist@example.org"));
  auto second = drive_until_idle(sender);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].outcome.disposition, Disposition::Sent) << second[0].outcome.failure_reason;
}

TEST(SmtpSender, UserUnknownFailsAndQuarantines) {
  ServerProcess server("smtp_server.py", {});
  SmtpSender sender(options_for(server.port()));
  sender.add(job_for(1, "unknown.bob@example.org"));
  sender.add(job_for(2, "full.carl@example.org"));
  sender.add(job_for(3, "ok.dan@example.org"));  // after a failure, on a fresh connection
  auto r = drive_until_idle(sender);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].outcome.disposition, Disposition::Failed);
  EXPECT_EQ(r[0].outcome.failure_reason,
            "550 5.1.1 <unknown.bob@example.org>: Recipient address rejected: User unknown");
  EXPECT_EQ(r[0].outcome.quarantine, QuarantineStrength::Hard);
  EXPECT_EQ(r[0].outcome.quarantine_reason, "user_unknown");
  EXPECT_EQ(r[1].outcome.disposition, Disposition::Deferred);
  EXPECT_EQ(r[1].outcome.quarantine_reason, "mailbox_full");
  EXPECT_EQ(r[1].outcome.quarantine, QuarantineStrength::Soft);
  EXPECT_EQ(r[2].outcome.disposition, Disposition::Sent);
  ASSERT_TRUE(server.wait_for("messages", 1));
  EXPECT_EQ(server.stats()["messages"], 1);
}

TEST(SmtpSender, ConnectionClosedMidDataIsDeferred) {
  ServerProcess server("smtp_server.py", {});
  SmtpSender sender(options_for(server.port()));
  sender.add(job_for(1, "drop@example.org"));
  sender.add(job_for(2, "ok@example.org"));
  auto r = drive_until_idle(sender);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].outcome.disposition, Disposition::Deferred);
  EXPECT_EQ(r[0].outcome.failure_reason.rfind("transport error", 0), 0u)
      << r[0].outcome.failure_reason;
  EXPECT_EQ(r[1].outcome.disposition, Disposition::Sent) << r[1].outcome.failure_reason;
}

TEST(SmtpSender, StalledServerIsDeferredAfterTimeout) {
  // The server sits on the reply to the final "." (the worst place: libcurl waits for it in a
  // blocking read, bounded by CURLOPT_SERVER_RESPONSE_TIMEOUT, curl#4015).
  ServerProcess server("smtp_server.py", {"--stall", "6"});
  SmtpSender sender(options_for(server.port(), R"("timeout_ms":1500)"));
  auto start = std::chrono::steady_clock::now();
  sender.add(job_for(1, "stall@example.org"));
  auto r = drive_until_idle(sender);
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - start)
                     .count();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].outcome.disposition, Disposition::Deferred);
  EXPECT_EQ(r[0].outcome.failure_reason.rfind("timeout", 0), 0u) << r[0].outcome.failure_reason;
  EXPECT_LT(elapsed, 4000);
}

TEST(SmtpSender, StallBeforeDataDoesNotHoldUpOtherConnections) {
  // A stall anywhere but after "." is waited for in poll(): the other slots keep sending.
  ServerProcess server("smtp_server.py", {"--stall", "4"});
  SmtpSender sender(options_for(server.port(), R"("timeout_ms":1500,"max_connections":2)"));
  auto start = std::chrono::steady_clock::now();
  sender.add(job_for(1, "stallrcpt@example.org"));
  for (int i = 2; i <= 6; ++i) sender.add(job_for(i, "ok" + std::to_string(i) + "@example.org"));
  auto r = drive_until_idle(sender);
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - start)
                     .count();
  ASSERT_EQ(r.size(), 6u);
  EXPECT_EQ(r[0].outcome.disposition, Disposition::Deferred);
  EXPECT_EQ(r[0].outcome.failure_reason.rfind("timeout", 0), 0u) << r[0].outcome.failure_reason;
  for (int i = 1; i < 6; ++i)
    EXPECT_EQ(r[i].outcome.disposition, Disposition::Sent) << i << r[i].outcome.failure_reason;
  EXPECT_LT(elapsed, 3500);
}

TEST(SmtpSender, RateLimitSpacesMessages) {
  ServerProcess server("smtp_server.py", {});
  SmtpSender sender(options_for(server.port(), R"("max_per_second":10,"max_connections":4)"));
  auto start = std::chrono::steady_clock::now();
  for (int i = 1; i <= 15; ++i) sender.add(job_for(i, "ok" + std::to_string(i) + "@example.org"));
  auto r = drive_until_idle(sender);
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - start)
                     .count();
  ASSERT_EQ(r.size(), 15u);
  // Burst of 10, then 5 more at 10/s: at least ~500 ms.
  EXPECT_GE(elapsed, 450);
}

TEST(SmtpSender, IncrementalDrivingNeverBlocksLongerThanAsked) {
  ServerProcess server("smtp_server.py", {"--stall", "3"});
  SmtpSender sender(options_for(server.port(), R"("timeout_ms":5000)"));
  sender.add(job_for(1, "ok@example.org"));
  EXPECT_EQ(sender.queued(), 1u);
  auto t0 = std::chrono::steady_clock::now();
  sender.poll(0);
  auto t1 = std::chrono::steady_clock::now();
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(t1 - t0).count(), 50);
  EXPECT_EQ(sender.in_flight(), 1u);
  auto r = drive_until_idle(sender);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(sender.idle());
  // Refused: nothing is listening on that port any more once the server is gone.
}

TEST(SmtpSender, ConnectionRefusedIsDeferred) {
  int port;
  {
    ServerProcess server("smtp_server.py", {});
    port = server.port();
  }
  SmtpSender sender(options_for(port, R"("timeout_ms":2000)"));
  sender.add(job_for(1, "ok@example.org"));
  auto r = drive_until_idle(sender);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].outcome.disposition, Disposition::Deferred);
  EXPECT_EQ(r[0].curl_code, CURLE_COULDNT_CONNECT) << r[0].curl_error;
}

TEST(SmtpSender, DkimSignedMessageVerifiesAsReceived) {
  // Sign, send through curl (dot-stuffing on the wire, un-stuffed by the server), verify the
  // bytes the server stored: the signature must survive the trip.
  auto key = mc::delivery::testing::generate_rsa(2048);
  ServerProcess server("smtp_server.py", {});
  std::string key_file = server.dir() + "/dkim-keys";
  mc::delivery::testing::write_dkim_key_file(key_file, "mc1", "example.test", key.public_b64);
  MailFields f;
  f.subject = "Signed – ünïcode";
  f.text = "Line one\n.starts with a dot\n..two dots\n";
  f.html = "<p>signed</p>";
  f.unsubscribe_url = "https://example.test/u/x";
  SmtpJob job = job_for(1, "ok@example.org", f);
  DkimSigner signer;
  job.message = signer.sign(job.message, DkimKey{"example.test", "mc1", key.private_pem});
  SmtpSender sender(options_for(server.port()));
  sender.add(std::move(job));
  auto r = drive_until_idle(sender);
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r[0].outcome.disposition, Disposition::Sent) << r[0].outcome.failure_reason;
  ASSERT_TRUE(server.wait_for("messages", 1));
  std::ifstream in(server.dir() + "/1.eml", std::ios::binary);
  std::string received((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto v = dkim_verify_with_key_file(received, key_file);
  EXPECT_TRUE(v.pass) << v.result;
  std::string tampered = received;
  tampered.replace(tampered.find("Line one"), 8, "Line 1!!");
  EXPECT_FALSE(dkim_verify_with_key_file(tampered, key_file).pass);
}

TEST(SmtpSender, ExternalWaitDrivesTransfersLikeAWaitEventSet) {
  // The loop a PostgreSQL worker would run with WaitEventSetWait, here with poll(2) over the
  // engine's sockets plus one extra descriptor standing in for the latch.
  ServerProcess server("smtp_server.py", {});
  SmtpSender sender(options_for(server.port(), R"("max_connections":2)"));
  for (int i = 1; i <= 6; ++i) sender.add(job_for(i, "ok" + std::to_string(i) + "@example.org"));
  int latch[2];
  ASSERT_EQ(pipe(latch), 0);
  std::vector<SmtpResult> results;
  int rounds = 0;
  while (!sender.idle() && rounds++ < 2000) {
    auto sockets = sender.wait_sockets();
    std::vector<pollfd> fds{{latch[0], POLLIN, 0}};
    for (const auto& w : sockets)
      fds.push_back(
          pollfd{w.fd, static_cast<short>((w.read ? POLLIN : 0) | (w.write ? POLLOUT : 0)), 0});
    long timeout = sender.wait_timeout_ms();
    ::poll(fds.data(), fds.size(), static_cast<int>(timeout < 0 || timeout > 100 ? 100 : timeout));
    std::vector<ReadySocket> ready;
    for (std::size_t i = 1; i < fds.size(); ++i)
      if (fds[i].revents)
        ready.push_back(ReadySocket{fds[i].fd, (fds[i].revents & (POLLIN | POLLHUP)) != 0,
                                    (fds[i].revents & POLLOUT) != 0,
                                    (fds[i].revents & (POLLERR | POLLNVAL)) != 0});
    sender.process(ready);
    for (auto& r : sender.take_completed()) results.push_back(std::move(r));
  }
  close(latch[0]);
  close(latch[1]);
  ASSERT_EQ(results.size(), 6u);
  for (const auto& r : results)
    EXPECT_EQ(r.outcome.disposition, Disposition::Sent) << r.outcome.failure_reason;
  ASSERT_TRUE(server.wait_for("messages", 6));
  EXPECT_LE(server.stats()["connections"].get<int>(), 2);
}

TEST(SmtpSender, AuthWithUsernameAndSecret) {
  ServerProcess server("smtp_server.py", {"--auth", "mc-user:s3cret"});
  {
    SmtpSender sender(options_for(server.port(), R"("username":"mc-user")"), "s3cret");
    sender.add(job_for(1, "ok@example.org"));
    auto r = drive_until_idle(sender);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].outcome.disposition, Disposition::Sent) << r[0].outcome.failure_reason;
    ASSERT_TRUE(server.wait_for("messages", 1));
    EXPECT_EQ(ServerProcess::read_json(server.dir() + "/1.json")["login"], "mc-user");
  }
  SmtpSender wrong(options_for(server.port(), R"("username":"mc-user")"), "wrong");
  wrong.add(job_for(2, "ok@example.org"));
  auto r = drive_until_idle(wrong);
  ASSERT_EQ(r.size(), 1u);
  // The provider's credentials are wrong, not the address: retry later, no quarantine.
  EXPECT_EQ(r[0].outcome.disposition, Disposition::Deferred);
  EXPECT_EQ(r[0].curl_code, CURLE_LOGIN_DENIED) << r[0].curl_error;
  EXPECT_EQ(r[0].outcome.quarantine, QuarantineStrength::None);
  EXPECT_NE(r[0].outcome.failure_reason.find("535"), std::string::npos)
      << r[0].outcome.failure_reason;
}

TEST(SmtpSender, StartTlsRequiredRefusesAbsentOrUntrustedTls) {
  {
    // No STARTTLS offered: required means no mail goes out in clear.
    ServerProcess server("smtp_server.py", {});
    SmtpSender sender(parse_provider_config("t", "email", "smtp",
                                            "smtp://127.0.0.1:" + std::to_string(server.port()),
                                            R"({"starttls":"required"})")
                          .smtp);
    sender.add(job_for(1, "ok@example.org"));
    auto r = drive_until_idle(sender);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].outcome.disposition, Disposition::Deferred);
    EXPECT_EQ(r[0].curl_code, CURLE_USE_SSL_FAILED) << r[0].curl_error;
    EXPECT_EQ(server.stats()["messages"], 0);
  }
  {
    // STARTTLS with a self-signed certificate: the peer is verified, so it is refused.
    ServerProcess server("smtp_server.py", {"--tls"});
    SmtpSender sender(parse_provider_config("t", "email", "smtp",
                                            "smtp://127.0.0.1:" + std::to_string(server.port()),
                                            R"({"starttls":"required"})")
                          .smtp);
    sender.add(job_for(2, "ok@example.org"));
    auto r = drive_until_idle(sender);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].outcome.disposition, Disposition::Deferred);
    EXPECT_EQ(r[0].curl_code, CURLE_PEER_FAILED_VERIFICATION) << r[0].curl_error;
    EXPECT_EQ(server.stats()["messages"], 0);
  }
}

// The pipelining client (smtp_pipeline.hpp) against a server that advertises PIPELINING: on one
// connection, refusals fail (or defer) only their message, an RSET clears the transaction and
// the messages around them are delivered, with no new connection.
TEST(SmtpSender, PipelinedRefusalsStayPerMessageOnOneConnection) {
  ServerProcess server("smtp_server.py", {"--pipelining"});
  SmtpSender sender(options_for(server.port(), R"("max_connections":1)"));
  ASSERT_TRUE(sender.pipelined());
  const char* rcpts[] = {"ok1@example.org",      "unknown2@example.org",  "ok3@example.org",
                         "full4@example.org",    "greylist5@example.org", "ok6@example.org",
                         "unknown7@example.org", "ok8@example.org"};
  for (int i = 0; i < 8; ++i) sender.add(job_for(i + 1, rcpts[i]));
  auto r = drive_until_idle(sender);
  ASSERT_EQ(r.size(), 8u);
  for (int i : {0, 2, 5, 7})
    EXPECT_EQ(r[i].outcome.disposition, Disposition::Sent)
        << i << " " << r[i].outcome.failure_reason;
  EXPECT_EQ(r[1].outcome.disposition, Disposition::Failed);
  EXPECT_EQ(r[1].reply.rfind("550 5.1.1", 0), 0u) << r[1].reply;
  EXPECT_EQ(r[1].outcome.quarantine_reason, "user_unknown");
  EXPECT_EQ(r[3].outcome.disposition, Disposition::Deferred);
  EXPECT_EQ(r[3].reply.rfind("452 4.2.2", 0), 0u) << r[3].reply;
  EXPECT_EQ(r[4].outcome.disposition, Disposition::Deferred);
  EXPECT_EQ(r[4].reply.rfind("451 4.7.1", 0), 0u) << r[4].reply;
  EXPECT_EQ(r[6].outcome.disposition, Disposition::Failed);
  ASSERT_TRUE(server.wait_for("messages", 4));
  auto stats = server.stats();
  EXPECT_EQ(stats["messages"], 4);
  EXPECT_EQ(stats["connections"], 1) << stats;
  // The delivered ones arrived in order of their ids.
  const int delivered[] = {0, 2, 5, 7};
  for (int n = 1; n <= 4; ++n) {
    auto env = ServerProcess::read_json(server.dir() + "/" + std::to_string(n) + ".json");
    EXPECT_EQ(env["rcpt_tos"][0], rcpts[delivered[n - 1]]) << n;
  }
}
