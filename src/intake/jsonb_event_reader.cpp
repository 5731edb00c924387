#include "intake/jsonb_event_reader.hpp"

#include <cstring>

#include "core/channel.hpp"
#include "core/iso8601.hpp"

extern "C" {
#include "utils/builtins.h"
#include "utils/numeric.h"
}

namespace mc::intake {
namespace {

using core::EventField;
using core::RefusalKind;

// Unix epoch (core's timestamps) to PostgreSQL's 2000-01-01 epoch, in microseconds.
constexpr int64 kUnixToPostgresMicros =
    static_cast<int64>(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * USECS_PER_SEC;

void refuse(ReadProblem* p, RefusalKind kind, EventField field, const char* reason) {
  p->found = true;
  p->kind = kind;
  p->field = field;
  p->reason = reason;
}

// A string value, or a number written as its decimal text (externalId, wishedChannel).
bool scalar_text(const JsonbValue& v, bool allow_number, TextSlot* out) {
  if (v.type == jbvString) {
    *out = TextSlot{v.val.string.val, v.val.string.len, true};
    return true;
  }
  if (allow_number && v.type == jbvNumeric) {
    char* text = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v.val.numeric)));
    *out = TextSlot{text, static_cast<int>(std::strlen(text)), true};
    return true;
  }
  return false;
}

bool read_timestamp(const JsonbValue& v, TimestampTz* out) {
  if (v.type != jbvString) return false;
  auto micros =
      core::parse_iso8601_utc_micros(std::string_view(v.val.string.val, v.val.string.len));
  if (!micros) return false;
  TimestampTz ts = *micros - kUnixToPostgresMicros;
  if (!IS_VALID_TIMESTAMP(ts)) return false;
  *out = ts;
  return true;
}

TextField text_slot_of(EventField field) {
  switch (field) {
    case EventField::Type:
      return kType;
    case EventField::Email:
      return kEmail;
    case EventField::MobilePhone:
      return kMobilePhone;
    case EventField::ExternalId:
      return kExternalId;
    case EventField::Origin:
      return kOrigin;
    case EventField::IdempotencyKey:
      return kIdempotencyKey;
    case EventField::Language:
      return kLanguage;
    default:
      return kCountry;  // the only text field left
  }
}

}  // namespace

void read_field_unsafe(EventField field, const JsonbValue& v, EventRecord* r, ReadProblem* p) {
  switch (field) {
    case EventField::Ctx:
      r->has_ctx = true;
      r->ctx_is_object = v.type == jbvBinary && JsonContainerIsObject(v.val.binary.data);
      if (r->ctx_is_object) {
        r->ctx = v.val.binary.data;
        r->ctx_bytes = static_cast<uint32>(v.val.binary.len);
      }
      return;
    case EventField::WishedChannel: {
      TextSlot text;
      if (!scalar_text(v, true, &text))
        return refuse(p, RefusalKind::WrongJsonType, field, "must be a string or a number");
      auto channel = core::parse_channel(std::string_view(text.data, text.len));
      if (!channel)
        return refuse(p, RefusalKind::InvalidValue, field,
                      "is not a channel: use email, sms, push_ios, push_android, webhook "
                      "or the codes 0, 1, 41, 42");
      r->channel = static_cast<int>(*channel);
      return;
    }
    case EventField::ScheduledAt:
    case EventField::ExpiresAt: {
      TimestampTz ts;
      if (!read_timestamp(v, &ts))
        return refuse(p, RefusalKind::InvalidDatetime, field,
                      "is not an ISO 8601 timestamp such as \"2026-11-23T10:15:00Z\"");
      if (field == EventField::ScheduledAt) {
        r->has_scheduled_at = true;
        r->scheduled_at = ts;
      } else {
        r->has_expires_at = true;
        r->expires_at = ts;
      }
      return;
    }
    default:
      break;
  }
  TextField slot = text_slot_of(field);
  bool numbers_allowed = field == EventField::ExternalId;
  if (!scalar_text(v, numbers_allowed, &r->text[slot]))
    refuse(p, RefusalKind::WrongJsonType, field,
           numbers_allowed ? "must be a string or a number" : "must be a string");
}

void begin_event(EventRecord* r, ReadProblem* p) {
  std::memset(r, 0, sizeof *r);
  std::memset(p, 0, sizeof *p);
  r->channel = static_cast<int>(core::Channel::Email);
}

void read_event_unsafe(JsonbContainer* object, EventRecord* r, ReadProblem* p) {
  begin_event(r, p);
  if (!JsonContainerIsObject(object)) {
    p->found = true;
    p->kind = RefusalKind::WrongJsonType;
    p->reason = "an event must be a JSON object";
    return;
  }
  JsonbIterator* it = JsonbIteratorInit(object);
  JsonbValue v;
  JsonbIteratorToken token;
  while ((token = JsonbIteratorNext(&it, &v, true)) != WJB_DONE) {
    if (token != WJB_KEY) continue;
    const char* key = v.val.string.val;
    int key_len = v.val.string.len;
    token = JsonbIteratorNext(&it, &v, true);
    auto field = core::field_from_json_key(std::string_view(key, key_len));
    if (!field) {
      p->found = true;
      p->kind = RefusalKind::UnknownField;
      p->key = key;
      p->key_len = key_len;
      p->reason = "is not an event field";
      return;
    }
    if (v.type == jbvNull) continue;  // null means absent, as in the original product
    read_field_unsafe(*field, v, r, p);
    if (p->found) return;
  }
}

}  // namespace mc::intake
