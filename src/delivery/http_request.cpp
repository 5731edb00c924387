#include "delivery/http_request.hpp"

#include "delivery/delivery_error.hpp"
#include "delivery/webhook_signature.hpp"
#include "template/template_renderer.hpp"

namespace mc::delivery {

namespace {
// The message data with one extra top-level member, `secret`, for header templates. Every
// other DataRef is the wrapped source's own and is passed through unchanged.
class SecretOverlay final : public mc::tmpl::DataSource {
 public:
  SecretOverlay(const mc::tmpl::DataSource& inner, mc::tmpl::DataRef inner_root,
                const std::string& secret)
      : inner_(inner), inner_root_(inner_root), secret_(secret) {}
  mc::tmpl::DataRef root() const { return mc::tmpl::DataRef{&root_tag_, 0}; }

  mc::tmpl::Kind kind(const mc::tmpl::DataRef& v) const override {
    if (is_secret(v)) return mc::tmpl::Kind::String;
    return inner_.kind(unwrap(v));
  }
  bool lookup(const mc::tmpl::DataRef& object, std::string_view key,
              mc::tmpl::DataRef* out) const override {
    if (is_root(object) && key == "secret") {
      *out = mc::tmpl::DataRef{&secret_tag_, 0};
      return true;
    }
    if (is_secret(object)) return false;
    return inner_.lookup(unwrap(object), key, out);
  }
  std::size_t array_size(const mc::tmpl::DataRef& v) const override {
    return is_secret(v) ? 0 : inner_.array_size(unwrap(v));
  }
  mc::tmpl::DataRef array_at(const mc::tmpl::DataRef& v, std::size_t i) const override {
    return inner_.array_at(unwrap(v), i);
  }
  bool bool_value(const mc::tmpl::DataRef& v) const override {
    return !is_secret(v) && inner_.bool_value(unwrap(v));
  }
  bool string_empty(const mc::tmpl::DataRef& v) const override {
    return is_secret(v) ? secret_.empty() : inner_.string_empty(unwrap(v));
  }
  void append_text(const mc::tmpl::DataRef& v, std::string& out) const override {
    if (is_secret(v))
      out += secret_;
    else
      inner_.append_text(unwrap(v), out);
  }
  bool text_view(const mc::tmpl::DataRef& v, std::string_view* out) const override {
    if (is_secret(v)) {
      *out = secret_;
      return true;
    }
    return inner_.text_view(unwrap(v), out);
  }
  bool truthy(const mc::tmpl::DataRef& v) const override {
    return is_secret(v) ? !secret_.empty() : inner_.truthy(unwrap(v));
  }

 private:
  bool is_root(const mc::tmpl::DataRef& v) const { return v.p == &root_tag_; }
  bool is_secret(const mc::tmpl::DataRef& v) const { return v.p == &secret_tag_; }
  mc::tmpl::DataRef unwrap(const mc::tmpl::DataRef& v) const {
    return is_root(v) ? inner_root_ : v;
  }

  const mc::tmpl::DataSource& inner_;
  mc::tmpl::DataRef inner_root_;
  const std::string& secret_;
  char root_tag_ = 0;
  char secret_tag_ = 0;
};
}  // namespace

HttpRequestTemplate::HttpRequestTemplate(const HttpOptions& options) : options_(options) {
  for (const auto& [name, source] : options.headers)
    headers_.emplace_back(name, mc::tmpl::compile(source));
  if (!options.body.empty()) body_ = mc::tmpl::compile(options.body);
}

HttpJob HttpRequestTemplate::render(std::uint64_t id, const mc::tmpl::DataSource& data,
                                    const mc::tmpl::DataRef& root, const std::string& secret,
                                    const std::string& webhook_url) const {
  HttpJob job;
  job.id = id;
  job.method = options_.method;
  if (options_.url) {
    job.url = options_.url_text;
  } else {
    ParsedUrl u = parse_url(webhook_url, "webhook_url");
    if (u.scheme != "http" && u.scheme != "https")
      throw DeliveryError("webhook_url: must start with http:// or https://");
    job.url = webhook_url;
  }
  mc::tmpl::RenderOptions render_options;
  render_options.escape = mc::tmpl::Escape::None;
  render_options.missing_partial_is_error = true;
  SecretOverlay with_secret(data, root, secret);
  for (const auto& [name, t] : headers_) {
    std::string value;
    mc::tmpl::render(*t, with_secret, with_secret.root(), render_options, value);
    for (char c : value)
      if (c == '\r' || c == '\n' || c == '\0')
        throw DeliveryError("options.headers." + name +
                            ": the rendered value contains a line break or NUL; refused");
    job.headers.emplace_back(name, std::move(value));
  }
  if (body_) mc::tmpl::render(*body_, data, root, render_options, job.body);
  return job;
}

void sign_webhook(HttpJob& job, const std::string& key, const std::string& event_id) {
  job.headers.emplace_back("X-MC-Event-Id", event_id);
  job.headers.emplace_back("X-MC-Signature", webhook_signature(key, job.body));
}

}  // namespace mc::delivery
