// The one validation every event goes through, whichever way it arrives: push_event,
// push_events, INSERT or COPY (the latter two through the tables' CHECK constraint).
#pragma once

#include <cstddef>
#include <optional>

#include "core/event_fields.hpp"
#include "core/refusal.hpp"

namespace mc::core {

struct IntakeLimits {
  std::size_t max_ctx_bytes = 65536;
};

// Maximum lengths, in bytes, of the free-text fields.
inline constexpr std::size_t kMaxEventTypeBytes = 64;
inline constexpr std::size_t kMaxKeyBytes = 255;  // external_id, origin, idempotency_key

std::optional<Refusal> validate_event(const EventFields& event, const IntakeLimits& limits,
                                      Naming naming);

}  // namespace mc::core
