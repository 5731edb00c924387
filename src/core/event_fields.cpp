#include "core/event_fields.hpp"

#include <array>

namespace mc::core {
namespace {
struct FieldNames {
  EventField field;
  std::string_view json, column;
};
constexpr std::array<FieldNames, 12> kNames{{
    {EventField::Type, "type", "event_type"},
    {EventField::Email, "email", "email"},
    {EventField::MobilePhone, "mobilePhone", "mobile_phone"},
    {EventField::ExternalId, "externalId", "external_id"},
    {EventField::Origin, "origin", "origin"},
    {EventField::IdempotencyKey, "idempotencyKey", "idempotency_key"},
    {EventField::WishedChannel, "wishedChannel", "wished_channel"},
    {EventField::Language, "language", "language"},
    {EventField::Country, "country", "country"},
    {EventField::Ctx, "ctx", "ctx"},
    {EventField::ScheduledAt, "scheduled", "scheduled_at"},
    {EventField::ExpiresAt, "expiration", "expires_at"},
}};
}  // namespace

std::string_view field_name(EventField field, Naming naming) {
  const auto& names = kNames[static_cast<std::size_t>(field)];
  return naming == Naming::Json ? names.json : names.column;
}

std::optional<EventField> field_from_json_key(std::string_view key) {
  for (const auto& names : kNames)
    if (names.json == key) return names.field;
  return std::nullopt;
}

}  // namespace mc::core
