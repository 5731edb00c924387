#include "core/event_validation.hpp"

#include <string>

#include "core/address_syntax.hpp"
#include "core/locale_syntax.hpp"

namespace mc::core {
namespace {

Refusal refuse(RefusalKind kind, EventField field, Naming naming, std::string reason) {
  return Refusal{kind, std::string(field_name(field, naming)), std::move(reason)};
}

bool has_control_character(std::string_view text) {
  for (unsigned char c : text)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

std::optional<Refusal> check_key_text(const std::optional<std::string_view>& value,
                                      EventField field, Naming naming) {
  if (!value) return std::nullopt;
  if (value->empty()) return refuse(RefusalKind::InvalidValue, field, naming, "is empty");
  if (value->size() > kMaxKeyBytes)
    return refuse(RefusalKind::TooLong, field, naming,
                  "is longer than " + std::to_string(kMaxKeyBytes) + " bytes");
  return std::nullopt;
}

}  // namespace

std::optional<Refusal> validate_event(const EventFields& e, const IntakeLimits& limits,
                                      Naming naming) {
  if (!e.type) return refuse(RefusalKind::MissingField, EventField::Type, naming, "is required");
  if (e.type->empty() || e.type->find_first_not_of(' ') == std::string_view::npos)
    return refuse(RefusalKind::InvalidValue, EventField::Type, naming, "is empty");
  if (e.type->size() > kMaxEventTypeBytes)
    return refuse(RefusalKind::TooLong, EventField::Type, naming,
                  "is longer than " + std::to_string(kMaxEventTypeBytes) + " bytes");
  if (has_control_character(*e.type))
    return refuse(RefusalKind::InvalidSyntax, EventField::Type, naming,
                  "contains a control character");

  if (!e.has_ctx) return refuse(RefusalKind::MissingField, EventField::Ctx, naming, "is required");
  if (!e.ctx_is_object)
    return refuse(RefusalKind::WrongJsonType, EventField::Ctx, naming, "must be a JSON object");
  if (e.ctx_bytes > limits.max_ctx_bytes)
    return refuse(RefusalKind::TooLarge, EventField::Ctx, naming,
                  "is " + std::to_string(e.ctx_bytes) + " bytes, over the limit of " +
                      std::to_string(limits.max_ctx_bytes) + " bytes (mc.settings.max_ctx_bytes)");

  if (e.email) {
    std::string_view error = email_syntax_error(*e.email);
    if (!error.empty())
      return refuse(RefusalKind::InvalidSyntax, EventField::Email, naming,
                    "is not a valid email address: " + std::string(error));
  }
  if (e.mobile_phone) {
    std::string_view error = phone_syntax_error(*e.mobile_phone);
    if (!error.empty())
      return refuse(RefusalKind::InvalidSyntax, EventField::MobilePhone, naming,
                    "is not a valid phone number: " + std::string(error));
  }
  if (auto r = check_key_text(e.external_id, EventField::ExternalId, naming)) return r;
  if (auto r = check_key_text(e.origin, EventField::Origin, naming)) return r;
  if (auto r = check_key_text(e.idempotency_key, EventField::IdempotencyKey, naming)) return r;
  if (e.language && !is_language_tag(*e.language))
    return refuse(RefusalKind::InvalidSyntax, EventField::Language, naming,
                  "is not a language tag such as \"fr\" or \"pt-BR\"");
  if (e.country && !is_country_code(*e.country))
    return refuse(RefusalKind::InvalidSyntax, EventField::Country, naming,
                  "is not a two-letter ISO 3166 country code");
  if (e.scheduled_at && e.expires_at && *e.expires_at <= *e.scheduled_at)
    return refuse(RefusalKind::InvalidRange, EventField::ExpiresAt, naming,
                  "must be later than " + std::string(field_name(EventField::ScheduledAt, naming)));
  return std::nullopt;
}

}  // namespace mc::core
