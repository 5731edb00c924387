#include "delivery/provider_config.hpp"

#include "core/channel.hpp"
#include "delivery/delivery_error.hpp"
#include "template/compiled_template.hpp"
#include "template/template_error.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>

namespace mc::delivery {

namespace {
using json = nlohmann::json;

[[noreturn]] void refuse(const std::string& field, const std::string& what) {
  throw DeliveryError(field + ": " + what);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

int integer_in(const json& v, const std::string& field, long long lo, long long hi) {
  std::string msg =
      "must be an integer between " + std::to_string(lo) + " and " + std::to_string(hi);
  if (v.is_number_integer() || v.is_number_unsigned()) {
    long long x = v.is_number_unsigned() ? static_cast<long long>(std::min<unsigned long long>(
                                               v.get<unsigned long long>(), 1ULL << 62))
                                         : v.get<long long>();
    if (x < lo || x > hi) refuse(field, msg);
    return static_cast<int>(x);
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::floor(d) == d && d >= double(lo) && d <= double(hi)) return static_cast<int>(d);
  }
  refuse(field, msg);
}

double number_in(const json& v, const std::string& field, double lo, double hi) {
  if (!v.is_number() || v.get<double>() < lo || v.get<double>() > hi || std::isnan(v.get<double>()))
    refuse(field, "must be a number between " + std::to_string(static_cast<long long>(lo)) +
                      " and " + std::to_string(static_cast<long long>(hi)));
  return v.get<double>();
}

std::string string_of(const json& v, const std::string& field, std::size_t max_len = 1024) {
  if (!v.is_string()) refuse(field, "must be a string");
  std::string s = v.get<std::string>();
  if (s.size() > max_len) refuse(field, "longer than " + std::to_string(max_len) + " bytes");
  for (char c : s)
    if (c == '\r' || c == '\n' || c == '\0') refuse(field, "contains a line break or NUL");
  return s;
}

// Host names, IPv4 and IPv6 literals: letters, digits, '-', '.', ':' (IPv6), '_' (some labs).
bool valid_host(const std::string& h) {
  if (h.empty() || h.size() > 253) return false;
  return std::all_of(h.begin(), h.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == ':' ||
           c == '_';
  });
}

bool valid_token(const std::string& s) {  // RFC 9110 token (header names, methods)
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

void check_template(const std::string& source, const std::string& field) {
  try {
    mc::tmpl::compile(source);
  } catch (const mc::tmpl::TemplateError& e) {
    refuse(field, std::string("not a valid Mustache template: ") + e.what());
  }
}

std::string dkim_domain_check(const json& v, const std::string& field) {
  std::string s = string_of(v, field, 253);
  if (!valid_host(s) || s.find(':') != std::string::npos) refuse(field, "must be a domain name");
  return lower(s);
}

// Certificates in PEM, given in the options rather than as a file path: a provider's creator
// then never names a file on the database server, and the certificate (public) travels with a
// dump of mc.provider. Checked here for shape only; libcurl refuses what does not parse, and the
// message is deferred with its reason, like any other TLS failure.
std::string tls_ca_check(const json& v, const std::string& field) {
  // PEM is lines: not string_of, which refuses line breaks.
  if (!v.is_string()) refuse(field, "must be a string");
  std::string s = v.get<std::string>();
  if (s.size() > 256 * 1024) refuse(field, "longer than 262144 bytes");
  if (s.find('\0') != std::string::npos) refuse(field, "contains a NUL byte");
  if (s.find("-----BEGIN CERTIFICATE-----") == std::string::npos ||
      s.find("-----END CERTIFICATE-----") == std::string::npos)
    refuse(field, "must be one or more PEM certificates (-----BEGIN CERTIFICATE-----)");
  if (s.find("PRIVATE KEY") != std::string::npos)
    refuse(field, "must hold certificates only, never a private key");
  return s;
}
}  // namespace

ParsedUrl parse_url(const std::string& url, const char* field) {
  for (unsigned char c : url)
    if (c <= 32 || c >= 127) refuse(field, "must not contain blanks, controls or non-ASCII bytes");
  std::size_t sep = url.find("://");
  if (sep == std::string::npos || sep == 0) refuse(field, "malformed URL (no scheme://): " + url);
  ParsedUrl out;
  out.scheme = lower(url.substr(0, sep));
  std::size_t auth_start = sep + 3;
  std::size_t auth_end = url.find_first_of("/?#", auth_start);
  if (auth_end == std::string::npos) auth_end = url.size();
  std::string authority = url.substr(auth_start, auth_end - auth_start);
  if (authority.find('@') != std::string::npos)
    refuse(field, "must not carry credentials (use mc.set_provider_secret)");
  if (url.find('#') != std::string::npos) refuse(field, "must not have a fragment");
  std::string port_text;
  bool has_port = false;  // a ':' after the host (an IPv6 literal's own colons do not count)
  if (!authority.empty() && authority[0] == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string::npos) refuse(field, "malformed IPv6 literal");
    out.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') refuse(field, "malformed URL after the IPv6 literal");
      has_port = true;
      port_text = authority.substr(close + 2);
    }
    if (out.host.find(':') == std::string::npos) refuse(field, "malformed IPv6 literal");
  } else {
    std::size_t colon = authority.find(':');
    out.host = authority.substr(0, colon);
    has_port = colon != std::string::npos;
    if (has_port) port_text = authority.substr(colon + 1);
    if (out.host.find(':') != std::string::npos) refuse(field, "malformed host");
  }
  if (!valid_host(out.host)) refuse(field, "malformed or missing host in " + url);
  if (has_port) {
    if (port_text.empty() || port_text.size() > 5 ||
        !std::all_of(port_text.begin(), port_text.end(), ::isdigit))
      refuse(field, "malformed port in " + url);
    out.port = std::stoi(port_text);
    if (out.port < 1 || out.port > 65535) refuse(field, "port must be between 1 and 65535");
  }
  out.path = url.substr(auth_end);
  return out;
}

ProviderConfig parse_provider_config(const std::string& name, const std::string& channel,
                                     const std::string& kind, const std::optional<std::string>& url,
                                     const std::string& options_json) {
  ProviderConfig cfg;
  if (name.empty() || name.size() > 63 || !valid_token(name) || name.find(':') != std::string::npos)
    refuse("name", "must be 1-63 characters of letters, digits and -._ (no ':')");
  cfg.name = name;
  auto ch = mc::core::parse_channel(channel);
  if (!ch) refuse("channel", "unknown channel \"" + channel + "\"");
  cfg.channel = std::string(mc::core::channel_name(*ch));
  if (kind == "smtp") {
    cfg.kind = ProviderKind::Smtp;
  } else if (kind == "http") {
    cfg.kind = ProviderKind::Http;
  } else {
    refuse("kind", "must be smtp or http, not \"" + kind + "\"");
  }
  json options;
  try {
    options = options_json.empty() ? json::object() : json::parse(options_json);
  } catch (const json::exception& e) {
    refuse("options", std::string("not valid JSON: ") + e.what());
  }
  if (options.is_null()) options = json::object();
  if (!options.is_object()) refuse("options", "must be a JSON object");
  bool has_url = url && !url->empty();

  if (cfg.kind == ProviderKind::Smtp) {
    if (*ch != mc::core::Channel::Email) refuse("kind", "smtp serves the email channel only");
    if (!has_url) refuse("url", "required for kind smtp (smtp://host:port or smtps://host:port)");
    SmtpOptions& s = cfg.smtp;
    s.url = parse_url(*url, "url");
    if (s.url.scheme == "smtp") {
      if (!s.url.port) s.url.port = 25;
    } else if (s.url.scheme == "smtps") {
      s.implicit_tls = true;
      if (!s.url.port) s.url.port = 465;
    } else {
      refuse("url", "must start with smtp:// or smtps://");
    }
    if (!s.url.path.empty() && s.url.path != "/")
      refuse("url", "must have no path (the EHLO name is options.helo)");
    s.url.path.clear();
    for (auto it = options.begin(); it != options.end(); ++it) {
      const std::string& k = it.key();
      std::string f = "options." + k;
      const json& v = it.value();
      if (k == "starttls") {
        std::string t = string_of(v, f);
        if (t == "required")
          s.starttls = StartTls::Required;
        else if (t == "optional")
          s.starttls = StartTls::Optional;
        else if (t == "off")
          s.starttls = StartTls::Off;
        else
          refuse(f, "must be required, optional or off");
        if (s.implicit_tls && s.starttls != StartTls::Required)
          refuse(f, "smtps:// is TLS from the first byte; starttls must be absent or required");
      } else if (k == "username") {
        s.username = string_of(v, f, 256);
      } else if (k == "helo") {
        s.helo = string_of(v, f, 253);
        if (!valid_host(s.helo)) refuse(f, "must be a host name");
      } else if (k == "max_connections") {
        s.max_connections = integer_in(v, f, 1, 1000);
      } else if (k == "max_messages_per_connection") {
        s.max_messages_per_connection = integer_in(v, f, 1, 1000000);
      } else if (k == "max_per_second") {
        s.max_per_second = number_in(v, f, 0, 1000000);
      } else if (k == "timeout_ms") {
        s.timeout_ms = integer_in(v, f, 100, 3600000);
      } else if (k == "dkim_domain") {
        s.dkim_domain = dkim_domain_check(v, f);
      } else if (k == "dkim_selector") {
        s.dkim_selector = string_of(v, f, 63);
        if (!valid_host(s.dkim_selector)) refuse(f, "must be a DNS label");
      } else if (k == "tls_ca") {
        s.tls_ca = tls_ca_check(v, f);
      } else {
        refuse(f, "unknown option for kind smtp");
      }
    }
    if (s.dkim_domain.empty() != s.dkim_selector.empty())
      refuse(s.dkim_domain.empty() ? "options.dkim_domain" : "options.dkim_selector",
             "dkim_domain and dkim_selector go together");
    return cfg;
  }

  HttpOptions& h = cfg.http;
  if (*ch == mc::core::Channel::Webhook) {
    if (has_url)
      refuse("url", "must be NULL for the webhook channel (each message has its webhook_url)");
  } else {
    if (!has_url) refuse("url", "required for kind http (http(s)://...)");
    h.url = parse_url(*url, "url");
    if (h.url->scheme != "http" && h.url->scheme != "https")
      refuse("url", "must start with http:// or https://");
    if (!h.url->port) h.url->port = h.url->scheme == "https" ? 443 : 80;
    h.url_text = *url;
  }
  for (auto it = options.begin(); it != options.end(); ++it) {
    const std::string& k = it.key();
    std::string f = "options." + k;
    const json& v = it.value();
    if (k == "tls_ca") {
      h.tls_ca = tls_ca_check(v, f);
      continue;
    }
    if (k == "method") {
      h.method = string_of(v, f, 16);
      static const char* kMethods[] = {"POST", "PUT", "PATCH", "GET", "DELETE"};
      if (std::none_of(std::begin(kMethods), std::end(kMethods),
                       [&](const char* m) { return h.method == m; }))
        refuse(f, "must be one of POST, PUT, PATCH, GET, DELETE");
    } else if (k == "headers") {
      if (!v.is_object()) refuse(f, "must be an object of header name to Mustache string");
      for (auto hi = v.begin(); hi != v.end(); ++hi) {
        std::string hf = f + "." + hi.key();
        if (!valid_token(hi.key())) refuse(hf, "not a valid header name");
        std::string lk = lower(hi.key());
        if (lk == "content-length" || lk == "host" || lk == "transfer-encoding" ||
            lk == "x-mc-signature" || lk == "x-mc-event-id")
          refuse(hf, "set by the sender itself");
        std::string value = string_of(hi.value(), hf, 8192);
        check_template(value, hf);
        h.headers.emplace_back(hi.key(), value);
      }
    } else if (k == "body") {
      if (!v.is_string()) refuse(f, "must be a string (a Mustache template)");
      h.body = v.get<std::string>();
      if (h.body.size() > 1 << 20) refuse(f, "longer than 1 MiB");
      check_template(h.body, f);
    } else if (k == "success_codes") {
      if (!v.is_array() || v.empty() || v.size() > 100)
        refuse(f, "must be a non-empty array of HTTP status codes");
      for (std::size_t i = 0; i < v.size(); ++i)
        h.success_codes.push_back(integer_in(v[i], f + "[" + std::to_string(i) + "]", 100, 599));
    } else if (k == "max_connections") {
      h.max_connections = integer_in(v, f, 1, 1000);
    } else if (k == "max_per_second") {
      h.max_per_second = number_in(v, f, 0, 1000000);
    } else if (k == "timeout_ms") {
      h.timeout_ms = integer_in(v, f, 100, 3600000);
    } else {
      refuse(f, "unknown option for kind http");
    }
  }
  return cfg;
}

}  // namespace mc::delivery
