// The write phase of processing: one delivery-log row per event going to delivery, and every
// event moved on, with one set-oriented statement each for the whole batch (arrays unnested),
// whatever its size.
#pragma once

#include <vector>

#include "intake/queue.hpp"
#include "processing/claimed_event.hpp"
#include "processing/event_outcomes.hpp"
#include "processing/published_templates.hpp"

namespace mc::processing {

// Needs an open SPI connection. May throw PgError.
void write_batch(intake::Queue queue, TimestampTz now, const TemplateSet& templates,
                 const std::vector<ClaimedEvent>& events, const std::vector<EventResult>& results);

}  // namespace mc::processing
