#include "processing/message_renderer.hpp"

#include "delivery/webhook_signature.hpp"
#include "pg/guard.hpp"

#include "render/jsonb_data_source.hpp"
#include "template/template_error.hpp"
#include "template/template_renderer.hpp"

namespace mc::processing {

struct CompiledParts {
  std::shared_ptr<const tmpl::Template> sender, subject, body_html, body_text, push_data,
      webhook_url, unsubscribe_url;
  std::shared_ptr<const tmpl::MapPartialResolver> partials;
};

namespace {

std::shared_ptr<const tmpl::Template> compile_part(const char* part,
                                                   const std::optional<std::string>& source) {
  if (!source) return nullptr;
  try {
    return tmpl::compile(*source);
  } catch (const tmpl::TemplateError& e) {
    throw tmpl::TemplateError(std::string("part ") + part + ": " + e.what());
  }
}

void render_part(const std::shared_ptr<const tmpl::Template>& part, tmpl::Escape escape,
                 const render::JsonbDataSource& data, const tmpl::DataRef& root,
                 tmpl::RenderOptions& options, std::string& out) {
  out.clear();
  if (!part) return;
  options.escape = escape;
  tmpl::render(*part, data, root, options, out);
}

}  // namespace

std::shared_ptr<const CompiledParts> compile_parts(
    const PartSources& sources, std::shared_ptr<const tmpl::MapPartialResolver> partials) {
  auto parts = std::make_shared<CompiledParts>();
  parts->sender = compile_part("sender", sources.sender);
  parts->subject = compile_part("subject", sources.subject);
  parts->body_html = compile_part("body_html", sources.body_html);
  parts->body_text = compile_part("body_text", sources.body_text);
  parts->push_data = compile_part("push_data", sources.push_data);
  parts->webhook_url = compile_part("webhook_url", sources.webhook_url);
  parts->unsubscribe_url = compile_part("unsubscribe_url", sources.unsubscribe_url);
  parts->partials = std::move(partials);
  return parts;
}

void render_message(const PublishedTemplate& t, const ClaimedEvent& e,
                    std::string_view unsubscribe_key, RenderedMessage* out) {
  using render::JsonbDataSource;
  render::RootObject root;
  root.members.reserve(10);
  root.members.emplace_back("ctx", JsonbDataSource::container(&e.ctx->root));
  root.members.emplace_back("type", JsonbDataSource::text(e.type));
  auto add = [&](std::string_view key, const std::optional<std::string>& value) {
    if (value) root.members.emplace_back(key, JsonbDataSource::text(*value));
  };
  add("email", e.email);
  add("mobilePhone", e.mobile_phone);
  add("externalId", e.external_id);
  add("origin", e.origin);
  add("language", e.language);
  add("country", e.country);
  if (e.enrichment)
    root.members.emplace_back("enrichment", JsonbDataSource::container(&e.enrichment->root));

  JsonbDataSource data;
  tmpl::DataRef root_ref = JsonbDataSource::root(&root);
  tmpl::RenderOptions options;
  options.limits.should_stop = mc::pg::interrupt_pending;  // statement_timeout, cancel
  options.partials = t.parts->partials.get();
  options.missing_partial_is_error = true;
  const CompiledParts& p = *t.parts;
  render_part(p.sender, tmpl::Escape::None, data, root_ref, options, out->sender);
  render_part(p.subject, tmpl::Escape::None, data, root_ref, options, out->subject);
  render_part(p.body_html, tmpl::Escape::Html, data, root_ref, options, out->body_html);
  render_part(p.body_text, tmpl::Escape::None, data, root_ref, options, out->body_text);
  render_part(p.push_data, tmpl::Escape::None, data, root_ref, options, out->push_data);
  render_part(p.webhook_url, tmpl::Escape::Url, data, root_ref, options, out->webhook_url);
  out->unsubscribe_url.clear();
  if (p.unsubscribe_url && e.email) {
    // The token is URL-safe (digits, '.', hex); the rest of the URL is escaped as a URL part.
    std::string token = delivery::unsubscribe_token(unsubscribe_key, e.id, *e.email);
    root.members.emplace_back("unsubscribe_token", JsonbDataSource::text(token));
    render_part(p.unsubscribe_url, tmpl::Escape::Url, data, root_ref, options,
                out->unsubscribe_url);
  }
}

}  // namespace mc::processing
