// mc.push_event, mc.push_events and mc.push_events_json: read event documents, validate them
// all, then write them.
#include <string>
#include <string_view>
#include <vector>

#include "core/json_event_array.hpp"
#include "core/event_validation.hpp"
#include "intake/event_writer.hpp"
#include "intake/jsonb_event_reader.hpp"
#include "intake/queue.hpp"
#include "pg/guard.hpp"
#include "intake/refusal_error.hpp"
#include "settings/settings_cache.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"
#include "utils/tuplestore.h"
}

namespace {

using mc::intake::EventRecord;
using mc::intake::Queue;
using mc::intake::ReadProblem;
using mc::pg::SqlError;

Queue queue_arg(FunctionCallInfo fcinfo, int arg) {
  if (PG_ARGISNULL(arg))
    throw SqlError(ERRCODE_NULL_VALUE_NOT_ALLOWED, "queue must not be null", {},
                   "Use 'rt' or 'batch'.");
  std::string name = mc::pg::call([&] { return text_to_cstring(PG_GETARG_TEXT_PP(arg)); });
  auto queue = mc::intake::parse_queue(name);
  if (!queue)
    throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
                   "queue must be 'rt' or 'batch', not \"" + name + "\"");
  return *queue;
}

Jsonb* jsonb_arg(FunctionCallInfo fcinfo, int arg, const char* name) {
  if (PG_ARGISNULL(arg))
    throw SqlError(ERRCODE_NULL_VALUE_NOT_ALLOWED, std::string(name) + " must not be null");
  return mc::pg::call([&] { return PG_GETARG_JSONB_P(arg); });
}

// Throws the refusal of what the reader found (problem.found), or of the fields' validation.
void refuse_or_validate(const ReadProblem& problem, bool document_is_object,
                        const mc::core::IntakeLimits& limits, const std::string& where,
                        const EventRecord& record) {
  if (problem.found) {
    std::string field =
        problem.kind == mc::core::RefusalKind::UnknownField
            ? std::string(problem.key, problem.key_len)
            : std::string(mc::core::field_name(problem.field, mc::core::Naming::Json));
    if (problem.kind == mc::core::RefusalKind::WrongJsonType && !document_is_object)
      throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "invalid " + where + ": " + problem.reason);
    throw mc::intake::refusal_error({problem.kind, field, problem.reason}, where);
  }
  auto refusal =
      mc::core::validate_event(mc::intake::fields_of(record), limits, mc::core::Naming::Json);
  if (refusal) throw mc::intake::refusal_error(*refusal, where);
}

// Reads and validates one event document; throws its refusal, naming the field.
void read_and_validate(JsonbContainer* document, const mc::core::IntakeLimits& limits,
                       const std::string& where, EventRecord* record) {
  ReadProblem problem;
  mc::pg::call([&] { mc::intake::read_event_unsafe(document, record, &problem); });
  refuse_or_validate(problem, JsonContainerIsObject(document), limits, where, *record);
}

// A nested value of an event document given as text (ctx, or a field of the wrong type), as
// jsonb: parsed alone, as COPY parses a ctx column.
JsonbValue nested_value_unsafe(std::string_view raw) {
  Jsonb* jsonb = DatumGetJsonbP(
      DirectFunctionCall1(jsonb_in, CStringGetDatum(pnstrdup(raw.data(), raw.size()))));
  JsonbValue v;
  v.type = jbvBinary;
  v.val.binary.data = &jsonb->root;
  v.val.binary.len = static_cast<int>(VARSIZE(jsonb) - VARHDRSZ);
  return v;
}

// Reads one event object of a JSON text (its members in the order a jsonb object holds them,
// so that the first refusal is the one mc.push_events reports), as read_event_unsafe reads jsonb.
void read_json_event_unsafe(const mc::core::JsonEventArray& array, const std::size_t* order,
                            std::size_t count, EventRecord* r, ReadProblem* p) {
  mc::intake::begin_event(r, p);
  for (std::size_t k = 0; k < count; ++k) {
    const mc::core::JsonMember& m = array.members[order[k]];
    auto field = mc::core::field_from_json_key(m.key);
    if (!field) {
      p->found = true;
      p->kind = mc::core::RefusalKind::UnknownField;
      p->key = m.key.data();
      p->key_len = static_cast<int>(m.key.size());
      p->reason = "is not an event field";
      return;
    }
    JsonbValue v;
    switch (m.kind) {
      case mc::core::JsonKind::Null:
        continue;  // null means absent
      case mc::core::JsonKind::String:
        v.type = jbvString;
        v.val.string.val = const_cast<char*>(m.value.data());
        v.val.string.len = static_cast<int>(m.value.size());
        break;
      case mc::core::JsonKind::Number:
        v.type = jbvNumeric;
        v.val.numeric = DatumGetNumeric(DirectFunctionCall3(
            numeric_in, CStringGetDatum(pnstrdup(m.value.data(), m.value.size())),
            ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
        break;
      case mc::core::JsonKind::True:
      case mc::core::JsonKind::False:
        v.type = jbvBool;
        v.val.boolean = m.kind == mc::core::JsonKind::True;
        break;
      case mc::core::JsonKind::Object:
      case mc::core::JsonKind::Array:
        v = nested_value_unsafe(m.value);
        break;
    }
    mc::intake::read_field_unsafe(*field, v, r, p);
    if (p->found) return;
  }
}

// The refusal of a text that is not JSON, as jsonb_in reports it (22P02; 22P05 for a NUL escape).
SqlError json_syntax_error(const mc::core::JsonError& error) {
  if (error.kind == mc::core::JsonError::NulEscape)
    return SqlError(ERRCODE_UNTRANSLATABLE_CHARACTER,
                    "unsupported Unicode escape sequence in field \"events\" at byte " +
                        std::to_string(error.offset),
                    error.message);
  return SqlError(ERRCODE_INVALID_TEXT_REPRESENTATION,
                  "invalid input syntax for type json in field \"events\" at byte " +
                      std::to_string(error.offset) + ": " + error.message);
}

SqlError not_an_array() {
  return mc::intake::refusal_error(
      {mc::core::RefusalKind::NotAnArray, "events", "must be a JSON array of event objects"},
      "argument");
}

void return_ids_unsafe(FunctionCallInfo fcinfo, const int64* ids, int count) {
  auto* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
  if (rsinfo == nullptr || !IsA(rsinfo, ReturnSetInfo) ||
      (rsinfo->allowedModes & SFRM_Materialize) == 0)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("mc.push_events must be called where a set is accepted")));
  MemoryContext caller = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
  TupleDesc desc = CreateTemplateTupleDesc(1);
  TupleDescInitEntry(desc, 1, "push_events", INT8OID, -1, 0);
  Tuplestorestate* store = tuplestore_begin_heap(true, false, work_mem);
  MemoryContextSwitchTo(caller);
  for (int i = 0; i < count; ++i) {
    Datum value = Int64GetDatum(ids[i]);
    bool isnull = false;
    tuplestore_putvalues(store, desc, &value, &isnull);
  }
  rsinfo->returnMode = SFRM_Materialize;
  rsinfo->setResult = store;
  rsinfo->setDesc = desc;
}

}  // namespace

MC_FUNCTION(mc_push_event) {
  Jsonb* document = jsonb_arg(fcinfo, 0, "event");
  Queue queue = queue_arg(fcinfo, 1);
  mc::core::IntakeLimits limits{mc::settings::current().max_ctx_bytes};
  EventRecord record;
  read_and_validate(&document->root, limits, "event", &record);
  int64 id = 0;
  mc::intake::write_events(queue, &record, 1, &id);
  return Int64GetDatum(id);
}

namespace {

// Pushes the events of a jsonb array; returns their ids as the function's result set.
Datum push_jsonb_array(FunctionCallInfo fcinfo, Jsonb* document, Queue queue) {
  if (!JB_ROOT_IS_ARRAY(document) || JB_ROOT_IS_SCALAR(document)) throw not_an_array();
  int count = static_cast<int>(JB_ROOT_COUNT(document));
  mc::core::IntakeLimits limits{mc::settings::current().max_ctx_bytes};
  auto* records = mc::pg::call(
      [&] { return static_cast<EventRecord*>(palloc0(sizeof(EventRecord) * (count + 1))); });
  auto* ids =
      mc::pg::call([&] { return static_cast<int64*>(palloc0(sizeof(int64) * (count + 1))); });
  for (int i = 0; i < count; ++i) {
    JsonbValue* element =
        mc::pg::call([&] { return getIthJsonbValueFromContainer(&document->root, i); });
    std::string where = "event at index " + std::to_string(i);
    if (element->type != jbvBinary || !JsonContainerIsObject(element->val.binary.data))
      throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
                     "invalid " + where + ": an event must be a JSON object");
    read_and_validate(element->val.binary.data, limits, where, &records[i]);
  }
  mc::intake::write_events(queue, records, count, ids);
  mc::pg::call([&] { return_ids_unsafe(fcinfo, ids, count); });
  return PointerGetDatum(nullptr);
}

}  // namespace

MC_FUNCTION(mc_push_events) {
  Jsonb* document = jsonb_arg(fcinfo, 0, "events");
  Queue queue = queue_arg(fcinfo, 1);
  return push_jsonb_array(fcinfo, document, queue);
}

// The same as mc_push_events, from the array's JSON text: read once, without building a jsonb of
// the whole array (what push_events spends most of its time on); each ctx is parsed alone.
MC_FUNCTION(mc_push_events_json) {
  if (PG_ARGISNULL(0)) throw SqlError(ERRCODE_NULL_VALUE_NOT_ALLOWED, "events must not be null");
  text* events = mc::pg::call([&] { return PG_GETARG_TEXT_PP(0); });
  Queue queue = queue_arg(fcinfo, 1);
  // The reader writes \u escapes as UTF-8: in a database of another encoding, jsonb's input
  // (which converts them to it) reads the array, and push_events' path pushes it.
  if (GetDatabaseEncoding() != PG_UTF8)
    return push_jsonb_array(fcinfo, mc::pg::call([&] {
                              return DatumGetJsonbP(DirectFunctionCall1(
                                  jsonb_in, CStringGetDatum(text_to_cstring(events))));
                            }),
                            queue);
  const std::string_view json(VARDATA_ANY(events), VARSIZE_ANY_EXHDR(events));
  mc::core::JsonEventArray array;
  mc::core::JsonError error;
  if (!mc::core::parse_json_event_array(json, &array, &error)) throw json_syntax_error(error);
  if (!array.is_array) throw not_an_array();
  int count = static_cast<int>(array.elements.size());
  mc::core::IntakeLimits limits{mc::settings::current().max_ctx_bytes};
  auto* records = mc::pg::call(
      [&] { return static_cast<EventRecord*>(palloc0(sizeof(EventRecord) * (count + 1))); });
  auto* ids =
      mc::pg::call([&] { return static_cast<int64*>(palloc0(sizeof(int64) * (count + 1))); });
  std::vector<std::size_t> order;
  for (int i = 0; i < count; ++i) {
    const mc::core::JsonElement& element = array.elements[i];
    std::string where = "event at index " + std::to_string(i);
    if (!element.is_object)
      throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
                     "invalid " + where + ": an event must be a JSON object");
    mc::core::jsonb_member_order(array, element, &order);
    ReadProblem problem;
    mc::pg::call(
        [&] { read_json_event_unsafe(array, order.data(), order.size(), &records[i], &problem); });
    refuse_or_validate(problem, true, limits, where, records[i]);
  }
  mc::intake::write_events(queue, records, count, ids);
  mc::pg::call([&] { return_ids_unsafe(fcinfo, ids, count); });
  return PointerGetDatum(nullptr);
}
