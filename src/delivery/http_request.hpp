// Turns a message into the HTTP request an http provider sends (spec section 8): the provider's
// headers and body are Mustache templates rendered against the message fields (address,
// subject, body_text, event_id, ...); headers also see {{secret}} (the provider secret), the
// body does not. Webhooks (channel webhook) go to the message's webhook_url and are signed:
// `X-MC-Signature: sha256=<hex HMAC-SHA256(secret, body)>` and `X-MC-Event-Id`.
//
// Escaping: headers and body are rendered with Escape::None (the engine has no JSON escape
// yet): a body template that builds JSON must only interpolate values known to be JSON-safe, or
// use triple mustaches around pre-encoded fields. Rendered header values with CR or LF are
// refused (no header injection through message data).
#pragma once

#include "delivery/provider_config.hpp"
#include "template/compiled_template.hpp"
#include "template/data_model.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace mc::delivery {

struct HttpJob {
  std::uint64_t id = 0;  // the caller's key (event id), echoed in the result
  std::string method;    // empty: POST
  std::string url;       // full URL
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

class HttpRequestTemplate {
 public:
  // Compiles the provider's templates once (they were validated by parse_provider_config).
  explicit HttpRequestTemplate(const HttpOptions& options);

  // Renders the request for one message. `webhook_url`: the message's URL, used when the
  // provider has none (webhook channel); it is validated (http/https). Throws DeliveryError
  // (bad URL, header injection) or mc::tmpl::TemplateError (a render limit).
  HttpJob render(std::uint64_t id, const mc::tmpl::DataSource& data, const mc::tmpl::DataRef& root,
                 const std::string& secret, const std::string& webhook_url = {}) const;
  // Whether render() reads `data` at all (the provider has header or body templates); when not,
  // the caller may pass an empty object instead of building the message's fields.
  bool uses_data() const { return !headers_.empty() || body_ != nullptr; }

 private:
  HttpOptions options_;  // a copy: the template outlives whatever it was built from
  std::vector<std::pair<std::string, std::shared_ptr<const mc::tmpl::Template>>> headers_;
  std::shared_ptr<const mc::tmpl::Template> body_;
};

// Adds X-MC-Event-Id and X-MC-Signature (HMAC-SHA256 of the body with `key`).
void sign_webhook(HttpJob& job, const std::string& key, const std::string& event_id);

}  // namespace mc::delivery
