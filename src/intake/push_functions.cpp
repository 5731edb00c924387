// mc.push_event and mc.push_events: read event documents, validate them all, then write them.
#include <string>

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
#include "miscadmin.h"
#include "utils/builtins.h"
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

// Reads and validates one event document; throws its refusal, naming the field.
void read_and_validate(JsonbContainer* document, const mc::core::IntakeLimits& limits,
                       const std::string& where, EventRecord* record) {
  ReadProblem problem;
  mc::pg::call([&] { mc::intake::read_event_unsafe(document, record, &problem); });
  if (problem.found) {
    std::string field =
        problem.kind == mc::core::RefusalKind::UnknownField
            ? std::string(problem.key, problem.key_len)
            : std::string(mc::core::field_name(problem.field, mc::core::Naming::Json));
    if (problem.kind == mc::core::RefusalKind::WrongJsonType && !JsonContainerIsObject(document))
      throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "invalid " + where + ": " + problem.reason);
    throw mc::intake::refusal_error({problem.kind, field, problem.reason}, where);
  }
  auto refusal =
      mc::core::validate_event(mc::intake::fields_of(*record), limits, mc::core::Naming::Json);
  if (refusal) throw mc::intake::refusal_error(*refusal, where);
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

MC_FUNCTION(mc_push_events) {
  Jsonb* document = jsonb_arg(fcinfo, 0, "events");
  Queue queue = queue_arg(fcinfo, 1);
  if (!JB_ROOT_IS_ARRAY(document) || JB_ROOT_IS_SCALAR(document))
    throw mc::intake::refusal_error(
        {mc::core::RefusalKind::NotAnArray, "events", "must be a JSON array of event objects"},
        "argument");
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
