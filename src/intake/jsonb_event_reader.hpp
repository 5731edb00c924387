// Reads event documents (JSON objects with the spec's camelCase keys) out of jsonb, in place:
// strings stay pointers into the jsonb, ctx stays a container.
#pragma once

#include "core/refusal.hpp"
#include "intake/event_record.hpp"

namespace mc::intake {

// What the reader itself refuses, before validation sees the fields.
struct ReadProblem {
  bool found;
  core::RefusalKind kind;
  core::EventField field;
  const char* key;  // the offending key for UnknownField
  int key_len;
  const char* reason;
};

// Reads one event object; *problem says what is wrong if the document is not an event.
// Calls PostgreSQL (numeric_out): run through pg::call.
void read_event_unsafe(JsonbContainer* object, EventRecord* record, ReadProblem* problem);

}  // namespace mc::intake
