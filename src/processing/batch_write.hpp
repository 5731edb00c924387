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

// Needs an open SPI connection. If the batch cannot be written as a whole (one event's row
// refused by a constraint, its template unpublished meanwhile), it is written in parts, in
// subtransactions, until the events that cannot be written are found: those fail (a failed
// attempt: retried after a back-off, expired after max_processing_attempts) and the others are
// written. One bad event never holds back the others, nor is the batch retried forever.
void write_batch(intake::Queue queue, TimestampTz now, const TemplateSet& templates,
                 const std::vector<ClaimedEvent>& events, const std::vector<EventResult>& results,
                 const core::ProcessingSettings& settings);

}  // namespace mc::processing
