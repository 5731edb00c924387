#include "intake/event_record.hpp"

namespace mc::intake {
namespace {
std::optional<std::string_view> view(const TextSlot& slot) {
  if (!slot.present) return std::nullopt;
  return std::string_view(slot.data, static_cast<std::size_t>(slot.len));
}
}  // namespace

core::EventFields fields_of(const EventRecord& r) {
  core::EventFields f;
  f.type = view(r.text[kType]);
  f.email = view(r.text[kEmail]);
  f.mobile_phone = view(r.text[kMobilePhone]);
  f.external_id = view(r.text[kExternalId]);
  f.origin = view(r.text[kOrigin]);
  f.idempotency_key = view(r.text[kIdempotencyKey]);
  f.language = view(r.text[kLanguage]);
  f.country = view(r.text[kCountry]);
  f.has_ctx = r.has_ctx;
  f.ctx_is_object = r.ctx_is_object;
  f.ctx_bytes = r.ctx_bytes;
  if (r.has_scheduled_at) f.scheduled_at = r.scheduled_at;
  if (r.has_expires_at) f.expires_at = r.expires_at;
  return f;
}

}  // namespace mc::intake
