// The per-event phase of processing: route each claimed event, render the routed ones, look
// their addresses up in the quarantine, and let core::decide (PostgreSQL-free) say what becomes
// of each.
#pragma once

#include <vector>

#include "core/processing_decision.hpp"
#include "processing/claimed_event.hpp"
#include "processing/message_renderer.hpp"
#include "processing/published_templates.hpp"

namespace mc::processing {

struct EventResult {
  core::Decision decision;
  int template_index = -1;  // into TemplateSet::templates when the event goes to delivery
  RenderedMessage message;  // when rendered
};

// One result per event, in order. Needs an open SPI connection (quarantine). A PostgreSQL error
// while rendering (reading jsonb) is thrown, never turned into an event's failure.
std::vector<EventResult> decide_events(const std::vector<ClaimedEvent>& events,
                                       const TemplateSet& templates, TimestampTz now,
                                       const core::ProcessingSettings& settings);

}  // namespace mc::processing
