// One event on its way into a queue table: plain data only (no destructors), so that the
// _unsafe functions that fill and insert it may ereport freely.
#pragma once

#include "core/event_fields.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "datatype/timestamp.h"
#include "utils/jsonb.h"
}

namespace mc::intake {

// The text fields of an event, by position in EventRecord::text.
enum TextField {
  kType,
  kEmail,
  kMobilePhone,
  kExternalId,
  kOrigin,
  kIdempotencyKey,
  kLanguage,
  kCountry,
  kTextFieldCount
};

struct TextSlot {
  const char* data;  // not NUL-terminated: points into the jsonb or text datum
  int len;
  bool present;
};

struct EventRecord {
  TextSlot text[kTextFieldCount];
  int channel;  // mc::core::Channel
  bool has_ctx, ctx_is_object;
  JsonbContainer* ctx;  // set when read from a JSON document (the CHECK reads only its size)
  uint32 ctx_bytes;
  bool has_scheduled_at, has_expires_at;
  TimestampTz scheduled_at, expires_at;
};

// The record as the PG-free validation sees it.
core::EventFields fields_of(const EventRecord& record);

}  // namespace mc::intake
