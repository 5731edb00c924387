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

// A record with nothing read yet (channel email, the default), and no problem.
void begin_event(EventRecord* record, ReadProblem* problem);

// Reads the value of one field (not null) into the record, or says what is wrong with it.
// Calls PostgreSQL (numeric_out): run through pg::call. Shared by the JSON text path.
void read_field_unsafe(core::EventField field, const JsonbValue& value, EventRecord* record,
                       ReadProblem* problem);

// Reads one event object; *problem says what is wrong if the document is not an event.
// Calls PostgreSQL (numeric_out): run through pg::call.
void read_event_unsafe(JsonbContainer* object, EventRecord* record, ReadProblem* problem);

}  // namespace mc::intake
