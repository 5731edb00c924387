// The published templates of a queue, compiled once and cached per backend. A change to
// mc.published_template or mc.partial (a statement trigger sends a relcache invalidation)
// drops the cache; the next processing call loads and compiles again.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/template_routing.hpp"
#include "intake/queue.hpp"
#include "pg/postgres.hpp"

namespace mc::processing {

struct CompiledParts;  // the Mustache programs of one template (message_renderer.hpp)

struct PublishedTemplate {
  int64 id = 0;
  std::string name, event_type;
  int channel = 0;
  std::optional<std::string> language;
  int64 published_at = 0;
  bool paused = false;
  std::shared_ptr<const CompiledParts> parts;
};

struct TemplateSet {
  std::vector<PublishedTemplate> templates;
  // Views into `templates`, in the same order, for core::route_event.
  std::vector<core::PublishedCandidate> candidates;
  // mc.unsubscribe_key's bytes, loaded only when a template has an unsubscribe_url.
  std::string unsubscribe_key;
};

// Needs an open SPI connection. May throw PgError (or TemplateError for a partial that no
// longer compiles, which publication prevents).
const TemplateSet& published_templates(intake::Queue queue);

// Drops the cache when mc.published_template or mc.partial changed (InvalidOid: every
// relation). Called by the backend's one relcache callback; cannot fail.
void on_template_invalidation(Oid relid);

}  // namespace mc::processing
