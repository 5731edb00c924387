// An event's fields as seen by validation: views into the caller's data, no copies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace mc::core {

// The fields of an event, in the order of the columns of mc.rt_event / mc.batch_event.
enum class EventField {
  Type,
  Email,
  MobilePhone,
  ExternalId,
  Origin,
  IdempotencyKey,
  WishedChannel,
  Language,
  Country,
  Ctx,
  ScheduledAt,
  ExpiresAt,
};

// How a refusal names a field: JSON documents use camelCase keys, SQL uses column names.
enum class Naming { Json, Column };

std::string_view field_name(EventField field, Naming naming);
// The field a JSON key of an event document stands for, if any (keys are case-sensitive).
std::optional<EventField> field_from_json_key(std::string_view key);

struct EventFields {
  std::optional<std::string_view> type, email, mobile_phone, external_id, origin, idempotency_key,
      language, country;
  bool has_ctx = false;
  bool ctx_is_object = false;
  std::size_t ctx_bytes = 0;
  // Microseconds on any common epoch: validation only compares them.
  std::optional<std::int64_t> scheduled_at, expires_at;
};

}  // namespace mc::core
