// The HTTP sender against a real HTTP server (http.server, test/servers/http_server.py) on
// loopback: outcomes by status, Retry-After, keep-alive reuse, rendered requests, and webhook
// signatures verified by the receiver (hmac.compare_digest).
#include "delivery/delivery_error.hpp"
#include "delivery/http_request.hpp"
#include "delivery/http_sender.hpp"
#include "delivery/provider_config.hpp"
#include "drive_sender.hpp"
#include "server_process.hpp"
#include "template/value.hpp"

#include <gtest/gtest.h>

#include <chrono>

using namespace mc::delivery;
using mc::delivery::testing::drive_until_idle;
using mc::delivery::testing::ServerProcess;
using mc::tmpl::Value;
using mc::tmpl::ValueSource;

namespace {
std::string base(const ServerProcess& s) { return "http://127.0.0.1:" + std::to_string(s.port()); }

HttpOptions options(const std::string& url, const std::string& opts = "{}") {
  return parse_provider_config("gw", "sms", "http", url, opts).http;
}

HttpJob post(std::uint64_t id, const std::string& url, const std::string& body = "{}") {
  HttpJob j;
  j.id = id;
  j.method = "POST";
  j.url = url;
  j.headers = {{"Content-Type", "application/json"}};
  j.body = body;
  return j;
}

Value message_data() {
  Value v = Value::object();
  v.set("address", Value::string("+15550100"));
  v.set("body_text", Value::string("Your code is 1234"));
  v.set("event_id", Value::number("42"));
  return v;
}
// Every case runs on both paths: the native keep-alive client (http:// on a literal address,
// http_pipeline.hpp) and libcurl.
class HttpSenderPaths : public ::testing::TestWithParam<bool> {};
}  // namespace

INSTANTIATE_TEST_SUITE_P(Paths, HttpSenderPaths, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& i) {
                           return i.param ? "native" : "curl";
                         });

TEST_P(HttpSenderPaths, OutcomesByStatus) {
  ServerProcess server("http_server.py", {});
  HttpSender sender(options(base(server) + "/ok"), GetParam());
  sender.add(post(1, base(server) + "/ok"));
  sender.add(post(2, base(server) + "/429"));
  sender.add(post(3, base(server) + "/503"));
  sender.add(post(4, base(server) + "/500"));
  sender.add(post(5, base(server) + "/400"));
  auto r = drive_until_idle(sender);
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[0].status, 200);
  EXPECT_EQ(r[0].outcome.disposition, Disposition::Sent);
  EXPECT_EQ(r[0].response_body, "{\"id\":\"ok\"}");
  EXPECT_EQ(r[1].status, 429);
  EXPECT_EQ(r[1].outcome.disposition, Disposition::Deferred);
  EXPECT_EQ(r[1].outcome.retry_after_s, 3);
  EXPECT_EQ(r[2].status, 503);
  EXPECT_EQ(r[2].outcome.disposition, Disposition::Deferred);
  ASSERT_TRUE(r[2].outcome.retry_after_s.has_value());  // an HTTP-date 5 s ahead
  EXPECT_GE(*r[2].outcome.retry_after_s, 3);
  EXPECT_LE(*r[2].outcome.retry_after_s, 6);
  EXPECT_EQ(r[3].outcome.disposition, Disposition::Deferred);
  EXPECT_FALSE(r[3].outcome.retry_after_s.has_value());
  EXPECT_EQ(r[4].outcome.disposition, Disposition::Failed);
  EXPECT_EQ(r[4].outcome.failure_reason, "HTTP 400 {\"error\":\"bad request\"}");
}

TEST_P(HttpSenderPaths, RendersProviderTemplatesWithSecretInHeadersOnly) {
  ServerProcess server("http_server.py", {});
  auto opts = options(base(server) + "/ok/send",
                      R"({"method":"PUT","headers":{"Authorization":"Bearer {{secret}}",
                          "Content-Type":"application/json","X-Event":"{{event_id}}"},
                          "body":"{\"to\":\"{{address}}\",\"text\":\"{{body_text}}\",\"s\":\"{{secret}}\"}"})");
  HttpRequestTemplate request(opts);
  Value data = message_data();
  ValueSource source;
  HttpSender sender(opts, GetParam());
  sender.add(request.render(42, source, ValueSource::ref(data), "tok-secret"));
  auto r = drive_until_idle(sender);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].outcome.disposition, Disposition::Sent) << r[0].outcome.failure_reason;
  ASSERT_TRUE(server.wait_for("requests", 1));
  auto rec = ServerProcess::read_json(server.dir() + "/1.json");
  EXPECT_EQ(rec["method"], "PUT");
  EXPECT_EQ(rec["path"], "/ok/send");
  EXPECT_EQ(rec["headers"]["Authorization"], "Bearer tok-secret");
  EXPECT_EQ(rec["headers"]["X-Event"], "42");
  EXPECT_EQ(rec["body"], "{\"to\":\"+15550100\",\"text\":\"Your code is 1234\",\"s\":\"\"}");
}

TEST(HttpSenderTemplate, HeaderInjectionThroughMessageDataRefused) {
  auto opts = options("http://127.0.0.1:9/ok", R"({"headers":{"X-To":"{{address}}"}})");
  HttpRequestTemplate request(opts);
  Value data = Value::object();
  data.set("address", Value::string("a\r\nX-Evil: 1"));
  ValueSource source;
  EXPECT_THROW(request.render(1, source, ValueSource::ref(data), ""), DeliveryError);
}

TEST_P(HttpSenderPaths, WebhookSignatureVerifiedByReceiver) {
  ServerProcess server("http_server.py", {"--key", "whsec-test"});
  auto opts = parse_provider_config("hooks", "webhook", "http", std::nullopt,
                                    R"({"body":"{\"event\":{{event_id}},\"to\":\"{{address}}\"}"})")
                  .http;
  HttpRequestTemplate request(opts);
  Value data = message_data();
  ValueSource source;
  HttpSender sender(opts, GetParam());
  HttpJob good = request.render(1, source, ValueSource::ref(data), "", base(server) + "/ok/hook");
  sign_webhook(good, "whsec-test", "42");
  HttpJob bad = request.render(2, source, ValueSource::ref(data), "", base(server) + "/ok/hook");
  sign_webhook(bad, "wrong-key", "42");
  sender.add(std::move(good));
  sender.add(std::move(bad));
  auto r = drive_until_idle(sender);
  ASSERT_EQ(r.size(), 2u);
  ASSERT_TRUE(server.wait_for("requests", 2));
  int ok = 0, refused = 0;
  for (int i = 1; i <= 2; ++i) {
    auto rec = ServerProcess::read_json(server.dir() + "/" + std::to_string(i) + ".json");
    EXPECT_EQ(rec["headers"]["X-MC-Event-Id"], "42");
    EXPECT_EQ(rec["body"], "{\"event\":42,\"to\":\"+15550100\"}");
    EXPECT_TRUE(rec["signature_present"].get<bool>());
    (rec["signature_ok"].get<bool>() ? ok : refused)++;
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(refused, 1);
  EXPECT_THROW(request.render(3, source, ValueSource::ref(data), "", "ftp://x/"), DeliveryError);
}

TEST_P(HttpSenderPaths, KeepAliveWithinMaxConnections) {
  ServerProcess server("http_server.py", {});
  HttpSender sender(options(base(server) + "/ok", R"({"max_connections":2})"), GetParam());
  for (int i = 1; i <= 20; ++i) sender.add(post(i, base(server) + "/ok"));
  auto r = drive_until_idle(sender);
  ASSERT_EQ(r.size(), 20u);
  for (const auto& x : r) EXPECT_EQ(x.outcome.disposition, Disposition::Sent);
  ASSERT_TRUE(server.wait_for("requests", 20));
  auto stats = server.stats();
  EXPECT_LE(stats["connections"].get<int>(), 2) << stats;
  EXPECT_EQ(sender.stats().connections_opened,
            static_cast<std::uint64_t>(stats["connections"].get<int>()));
}

TEST_P(HttpSenderPaths, TimeoutAndRefusedAreDeferred) {
  ServerProcess server("http_server.py", {"--slow", "3"});
  HttpSender sender(options(base(server) + "/ok", R"({"timeout_ms":500,"max_connections":2})"),
                    GetParam());
  auto start = std::chrono::steady_clock::now();
  sender.add(post(1, base(server) + "/slow"));
  sender.add(post(2, base(server) + "/ok"));
  sender.add(post(3, "http://127.0.0.1:1/ok"));  // nothing listens on port 1
  auto r = drive_until_idle(sender);
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - start)
                     .count();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].outcome.disposition, Disposition::Deferred);
  EXPECT_EQ(r[0].outcome.failure_reason.rfind("timeout", 0), 0u) << r[0].outcome.failure_reason;
  EXPECT_EQ(r[1].outcome.disposition, Disposition::Sent);
  EXPECT_EQ(r[2].outcome.disposition, Disposition::Deferred);
  EXPECT_EQ(r[2].curl_code, CURLE_COULDNT_CONNECT);
  EXPECT_LT(elapsed, 2500);
}

TEST_P(HttpSenderPaths, ConfiguredSuccessCodes) {
  ServerProcess server("http_server.py", {});
  HttpSender sender(options(base(server) + "/ok", R"({"success_codes":[201]})"), GetParam());
  sender.add(post(1, base(server) + "/ok"));
  auto r = drive_until_idle(sender);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, 200);
  EXPECT_EQ(r[0].outcome.disposition, Disposition::Failed);
}
