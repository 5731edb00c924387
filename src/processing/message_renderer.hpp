// Rendering one event's message from its published template: every part compiled once (when
// the template set is loaded), rendered against the event (ctx under "ctx", the event's own
// fields at the root, the enrichment data under "enrichment").
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "processing/claimed_event.hpp"
#include "processing/published_templates.hpp"
#include "template/partial_resolver.hpp"

namespace mc::processing {

// A rendered message: every part of its template, and the address it goes to.
struct RenderedMessage {
  std::string address, sender, subject, body_html, body_text, push_data, webhook_url,
      unsubscribe_url;
};

// The sources of a template's parts; absent parts are nullopt.
struct PartSources {
  std::optional<std::string> sender, subject, body_html, body_text, push_data, webhook_url,
      unsubscribe_url;
};

// Compiles every part; throws mc::tmpl::TemplateError naming the part on a syntax error.
// partials: mc.partial's templates by name, compiled on first use and shared by all templates.
std::shared_ptr<const CompiledParts> compile_parts(
    const PartSources& sources, std::shared_ptr<const tmpl::MapPartialResolver> partials);

// Renders every part of t for event e into out (address excepted). Throws std::exception
// (a TemplateError for missing partials, limits) when the message cannot be rendered.
// unsubscribe_key: mc.unsubscribe_key's bytes; the unsubscribe_url part (email) sees the
// message's one-click token as {{unsubscribe_token}} (mc.unsubscribe_token of event and email).
void render_message(const PublishedTemplate& t, const ClaimedEvent& e,
                    std::string_view unsubscribe_key, RenderedMessage* out);

}  // namespace mc::processing
