// The optional enrichment function (mc.settings.enrichment_function): called once per batch with
// the claimed events' ids; what it returns per event is rendered under "enrichment".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "processing/claimed_event.hpp"

namespace mc::processing {

// Sets ClaimedEvent::enrichment (valid until SPI_finish). Needs an open SPI connection.
void enrich(const std::optional<std::string>& function, std::vector<ClaimedEvent>& events);

}  // namespace mc::processing
