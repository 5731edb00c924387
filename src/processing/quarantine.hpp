// The quarantine (mc.quarantine): addresses that must not be sent to. Looked up once per batch.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "core/channel.hpp"

namespace mc::processing {

// For each (channel, address), whether it is quarantined. Needs an open SPI connection.
std::vector<bool> quarantined(
    const std::vector<std::pair<core::Channel, std::string_view>>& addresses);

}  // namespace mc::processing
