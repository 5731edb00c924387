// What mc.create_provider(name, channel, kind, url, options jsonb) receives (spec section 8),
// parsed and validated into plain structs before anything is stored or sent. Every refusal is a
// DeliveryError naming the field: `options.max_connections: must be an integer between 1 and
// 1000`, `url: ...`, `options.colour: unknown option`. Options not listed are refused, so a typo
// never silently falls back to a default.
//
//   kind smtp (channel email): url smtp://host[:port] (STARTTLS per options.starttls, port 25
//     by default) or smtps://host[:port] (implicit TLS, 465); options starttls (required |
//     optional | off; smtps: must be absent or required), username, helo, max_connections,
//     max_messages_per_connection, max_per_second, timeout_ms, dkim_domain + dkim_selector
//     (both or neither).
//   kind http: url http(s)://host[:port][/path][?query]; options method, headers (object of
//     Mustache strings, compiled here to reject bad templates early), body (Mustache),
//     success_codes (array of 100-599), max_connections, max_per_second, timeout_ms.
//   channel webhook: kind http and no url (each message goes to its template's webhook_url).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mc::delivery {

enum class ProviderKind { Smtp, Http };
enum class StartTls { Required, Optional, Off };

// A URL split into what libcurl and the checks need.
struct ParsedUrl {
  std::string scheme;  // lowercase: smtp, smtps, http, https
  std::string host;    // as written; IPv6 without brackets
  int port = 0;        // explicit or the scheme's default
  std::string path;    // path + query, "" when absent (http: "/" is not added)
};

// Refuses userinfo (credentials go through set_provider_secret), fragments, blanks, controls.
// `field` names the input in errors (`url`, `webhook_url`).
ParsedUrl parse_url(const std::string& url, const char* field);

struct SmtpOptions {
  ParsedUrl url;
  bool implicit_tls = false;  // smtps://
  StartTls starttls = StartTls::Required;
  std::string username;  // empty: no AUTH
  std::string helo;      // EHLO name; empty: libcurl's default (the local host name)
  int max_connections = 4;
  int max_messages_per_connection = 100;
  double max_per_second = 0;  // 0: unlimited
  int timeout_ms = 30000;
  std::string dkim_domain;  // empty: no DKIM signing
  std::string dkim_selector;
  std::string tls_ca;  // PEM certificates trusted for TLS instead of the system's; empty: system
};

struct HttpOptions {
  std::optional<ParsedUrl> url;  // nullopt: per message (webhook channel)
  std::string url_text;          // the URL as given
  std::string method = "POST";
  std::vector<std::pair<std::string, std::string>> headers;  // name, Mustache template
  std::string body;                                          // Mustache; empty: none
  std::vector<int> success_codes;                            // empty: any 2xx
  int max_connections = 8;
  double max_per_second = 0;
  int timeout_ms = 10000;
  std::string tls_ca;  // as SmtpOptions::tls_ca, for https
};

struct ProviderConfig {
  std::string name;
  std::string channel;  // email, sms, push_ios, push_android, webhook
  ProviderKind kind = ProviderKind::Smtp;
  SmtpOptions smtp;  // kind smtp
  HttpOptions http;  // kind http
};

// `url` nullopt or empty: no URL. `options_json`: the jsonb as text ("{}" when empty).
ProviderConfig parse_provider_config(const std::string& name, const std::string& channel,
                                     const std::string& kind, const std::optional<std::string>& url,
                                     const std::string& options_json);

}  // namespace mc::delivery
