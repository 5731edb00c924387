#include "delivery/delivery_error.hpp"
#include "delivery/provider_config.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace mc::delivery;

namespace {
// The error message of a refused configuration ("" when accepted).
std::string error_of(const std::string& channel, const std::string& kind,
                     std::optional<std::string> url, const std::string& options) {
  try {
    parse_provider_config("p1", channel, kind, url, options);
    return "";
  } catch (const DeliveryError& e) {
    return e.what();
  }
}
}  // namespace

TEST(ProviderConfig, SmtpDefaultsAndOptions) {
  auto c = parse_provider_config("relay", "email", "smtp", "smtp://127.0.0.1:2525", "{}");
  EXPECT_EQ(c.kind, ProviderKind::Smtp);
  EXPECT_EQ(c.smtp.url.host, "127.0.0.1");
  EXPECT_EQ(c.smtp.url.port, 2525);
  EXPECT_FALSE(c.smtp.implicit_tls);
  EXPECT_EQ(c.smtp.starttls, StartTls::Required);
  c = parse_provider_config("relay", "0", "smtp", "smtps://mail.example.test",
                            R"({"username":"u","helo":"mc.example.test","max_connections":2,
                               "max_messages_per_connection":50,"max_per_second":12.5,
                               "timeout_ms":5000,"dkim_domain":"Example.test","dkim_selector":"s1"})");
  EXPECT_EQ(c.channel, "email");
  EXPECT_TRUE(c.smtp.implicit_tls);
  EXPECT_EQ(c.smtp.url.port, 465);
  EXPECT_EQ(c.smtp.username, "u");
  EXPECT_EQ(c.smtp.helo, "mc.example.test");
  EXPECT_EQ(c.smtp.max_connections, 2);
  EXPECT_EQ(c.smtp.max_messages_per_connection, 50);
  EXPECT_DOUBLE_EQ(c.smtp.max_per_second, 12.5);
  EXPECT_EQ(c.smtp.timeout_ms, 5000);
  EXPECT_EQ(c.smtp.dkim_domain, "example.test");
  c = parse_provider_config("r", "email", "smtp", "smtp://[::1]:25", R"({"starttls":"off"})");
  EXPECT_EQ(c.smtp.url.host, "::1");
  EXPECT_EQ(c.smtp.starttls, StartTls::Off);
  // An IPv6 literal without a port: its own colons are not a port separator.
  c = parse_provider_config("w", "sms", "http", "http://[::1]/hook", "{}");
  EXPECT_EQ(c.http.url->host, "::1");
  EXPECT_EQ(c.http.url->path, "/hook");
  c = parse_provider_config("w", "sms", "http", "http://[2001:db8::5]:8080/h", "{}");
  EXPECT_EQ(c.http.url->host, "2001:db8::5");
  EXPECT_EQ(c.http.url->port, 8080);
}

TEST(ProviderConfig, ErrorsNameTheField) {
  EXPECT_EQ(error_of("email", "smtp", "smtp://h:25", R"({"max_connections":0})"),
            "options.max_connections: must be an integer between 1 and 1000");
  EXPECT_EQ(error_of("email", "smtp", "smtp://h:25", R"({"max_connections":"4"})"),
            "options.max_connections: must be an integer between 1 and 1000");
  EXPECT_EQ(error_of("email", "smtp", "smtp://h:25", R"({"max_connections":2.5})"),
            "options.max_connections: must be an integer between 1 and 1000");
  EXPECT_EQ(error_of("email", "smtp", "smtp://h:25", R"({"colour":"red"})"),
            "options.colour: unknown option for kind smtp");
  EXPECT_EQ(error_of("email", "smtp", "smtp://h:25", R"({"starttls":"maybe"})"),
            "options.starttls: must be required, optional or off");
  EXPECT_NE(error_of("email", "smtp", "smtps://h", R"({"starttls":"off"})"), "");
  EXPECT_EQ(error_of("email", "smtp", "smtp://h:25", R"({"dkim_domain":"example.test"})"),
            "options.dkim_selector: dkim_domain and dkim_selector go together");
  EXPECT_EQ(error_of("email", "smtp", "smtp://h:25", R"({"body":"x"})"),
            "options.body: unknown option for kind smtp");
  EXPECT_EQ(error_of("email", "smtp", "smtp://h:25", "[1]"), "options: must be a JSON object");
  EXPECT_EQ(error_of("email", "smtp", "smtp://h:25", "{").rfind("options: not valid JSON", 0), 0u);
  EXPECT_EQ(error_of("fax", "smtp", "smtp://h:25", "{}"), "channel: unknown channel \"fax\"");
  EXPECT_EQ(error_of("email", "ftp", "smtp://h:25", "{}"),
            "kind: must be smtp or http, not \"ftp\"");
  EXPECT_EQ(error_of("sms", "smtp", "smtp://h:25", "{}"),
            "kind: smtp serves the email channel only");
}

TEST(ProviderConfig, MalformedUrlsRefused) {
  for (const char* bad :
       {"smtp//h:25", "http://h:25", "smtp://:25", "smtp://h:0", "smtp://h:99999", "smtp://h:2x",
        "smtp://user:pw@h:25", "smtp://h:25/helo", "smtp://h h", "smtp://[::1",
        "smtp://h:", "smtp://[::1]:", "smtp://[::1]x", "smtp://[::1]:0", "smtp://[::1]:2x"}) {
    std::string e = error_of("email", "smtp", std::string(bad), "{}");
    EXPECT_EQ(e.rfind("url: ", 0), 0u) << bad << " -> " << e;
  }
  EXPECT_EQ(error_of("email", "smtp", std::nullopt, "{}").rfind("url: required", 0), 0u);
  EXPECT_EQ(error_of("sms", "http", "ftp://h/x", "{}"), "url: must start with http:// or https://");
  EXPECT_EQ(error_of("sms", "http", "https://h/x#frag", "{}"), "url: must not have a fragment");
}

TEST(ProviderConfig, HttpAndWebhook) {
  auto c = parse_provider_config(
      "sms-gw", "sms", "http", "https://api.example.test:8443/v1/send?x=1",
      R"({"method":"PUT","headers":{"Authorization":"Bearer {{secret}}","Content-Type":"application/json"},
          "body":"{\"to\":\"{{address}}\",\"text\":\"{{body_text}}\"}","success_codes":[200,202],
          "max_connections":16,"max_per_second":100,"timeout_ms":2000})");
  EXPECT_EQ(c.kind, ProviderKind::Http);
  ASSERT_TRUE(c.http.url);
  EXPECT_EQ(c.http.url->port, 8443);
  EXPECT_EQ(c.http.url->path, "/v1/send?x=1");
  EXPECT_EQ(c.http.method, "PUT");
  ASSERT_EQ(c.http.headers.size(), 2u);
  EXPECT_EQ(c.http.success_codes, (std::vector<int>{200, 202}));
  EXPECT_EQ(c.http.max_connections, 16);
  auto w = parse_provider_config("hooks", "webhook", "http", std::nullopt, "{}");
  EXPECT_FALSE(w.http.url);
  EXPECT_EQ(w.http.method, "POST");
  EXPECT_EQ(error_of("webhook", "http", "https://x.test/", "{}").rfind("url: must be NULL", 0), 0u);
  EXPECT_EQ(error_of("sms", "http", std::nullopt, "{}").rfind("url: required", 0), 0u);
  EXPECT_EQ(error_of("sms", "http", "http://h/", R"({"body":"{{#open}}"})")
                .rfind("options.body: not a valid Mustache template", 0),
            0u);
  EXPECT_EQ(error_of("sms", "http", "http://h/", R"({"headers":{"X-A":"{{"}})")
                .rfind("options.headers.X-A: not a valid Mustache template", 0),
            0u);
  EXPECT_EQ(error_of("sms", "http", "http://h/", R"({"headers":{"Bad Name":"v"}})"),
            "options.headers.Bad Name: not a valid header name");
  EXPECT_EQ(error_of("sms", "http", "http://h/", R"({"headers":{"X-A":"a\r\nB: c"}})"),
            "options.headers.X-A: contains a line break or NUL");
  EXPECT_EQ(error_of("sms", "http", "http://h/", R"({"success_codes":[200,700]})"),
            "options.success_codes[1]: must be an integer between 100 and 599");
  EXPECT_EQ(error_of("sms", "http", "http://h/", R"({"method":"TRACE"})"),
            "options.method: must be one of POST, PUT, PATCH, GET, DELETE");
  EXPECT_EQ(error_of("sms", "http", "http://h/", R"({"starttls":"off"})"),
            "options.starttls: unknown option for kind http");
}

TEST(ProviderConfig, TlsCaCertificatesOnly) {
  const std::string pem = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";
  nlohmann::json options = {{"starttls", "required"}, {"tls_ca", pem}};
  auto c = parse_provider_config("r", "email", "smtp", "smtp://mx.example.test:25", options.dump());
  EXPECT_EQ(c.smtp.tls_ca, pem);
  auto h = parse_provider_config("h", "sms", "http", "https://api.example.test/send",
                                 nlohmann::json{{"tls_ca", pem}}.dump());
  EXPECT_EQ(h.http.tls_ca, pem);
  EXPECT_EQ(error_of("email", "smtp", "smtp://h:25", R"({"tls_ca":"/etc/ssl/certs/ca.pem"})"),
            "options.tls_ca: must be one or more PEM certificates (-----BEGIN CERTIFICATE-----)");
  EXPECT_EQ(error_of("sms", "http", "https://h/x",
                     nlohmann::json{{"tls_ca", pem + "-----BEGIN PRIVATE KEY-----\nx\n"}}.dump()),
            "options.tls_ca: must hold certificates only, never a private key");
  EXPECT_EQ(error_of("email", "smtp", "smtp://h:25", R"({"tls_ca":42})"),
            "options.tls_ca: must be a string");
}
