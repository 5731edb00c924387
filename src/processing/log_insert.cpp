#include "processing/log_insert.hpp"

#include <cstring>

#include "pg/guard.hpp"
#include "pg/result_relation.hpp"

extern "C" {
#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/syscache.h"
}

namespace mc::processing {
namespace {

// The columns of mc.delivery_log (sql/tables/delivery_log.sql) this path writes or leaves NULL,
// found by name on every call (a batch is 1,000 rows: the lookups are noise).
enum Column {
  kEventId,
  kStatus,
  kChannel,
  kDeliveryId,
  kAttempts,
  kCreatedAt,
  kLastModifiedAt,
  kLeaseUntil,
  kQueue,
  kAddress,
  kSender,
  kSubject,
  kBodyHtml,
  kBodyText,
  kPushData,
  kWebhookUrl,
  kFailureReason,
  kLeaseToken,
  kMessageId,
  kUnsubscribeUrl,
  kColumnCount
};
enum Type { kInt8, kInt4, kTimestampTz, kText, kUuid, kLogStatus, kChannelType };
struct ColumnSpec {
  const char* name;
  Type type;
  bool set;  // written by this path (else left NULL, which needs the column to have no default)
  bool insert_names_it;  // named by the SQL INSERT (needs its INSERT privilege)
};
constexpr ColumnSpec kColumns[kColumnCount] = {
    {"event_id", kInt8, true, true},
    {"status", kLogStatus, true, true},
    {"channel", kChannelType, true, true},
    {"delivery_id", kInt8, true, true},
    {"attempts", kInt4, true, false},
    {"created_at", kTimestampTz, true, true},
    {"last_modified_at", kTimestampTz, true, true},
    {"lease_until", kTimestampTz, false, false},
    {"queue", kText, true, true},
    {"address", kText, true, true},
    {"sender", kText, true, true},
    {"subject", kText, true, true},
    {"body_html", kText, true, true},
    {"body_text", kText, true, true},
    {"push_data", kText, true, true},
    {"webhook_url", kText, true, true},
    {"failure_reason", kText, true, true},
    {"lease_token", kUuid, false, false},
    {"message_id", kText, false, false},
    // 0.5.0; absent before ALTER EXTENSION UPDATE (then only rows without one go this way).
    {"unsubscribe_url", kText, true, false},
};
constexpr const char* kOwnCheck = "delivery_log_queue_check";
constexpr const char* kWakeTrigger = "delivery_log_wake_senders";
constexpr int kChannelCount = 5;
constexpr int kLogStatusCount = 3;

struct Table {
  Oid relid;
  AttrNumber attnum[kColumnCount];
  Datum channels[kChannelCount];
  Datum statuses[kLogStatusCount];  // by core::LogStatus (None unused)
  bool check_constraints;           // constraints other than the extension's own
  bool wake;                        // the wake trigger is there and enabled
};

Oid type_oid_unsafe(const char* name, Oid nsp) {
  return GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum(name),
                         ObjectIdGetDatum(nsp));
}

Oid expected_type(Type type, Oid status_type, Oid channel_type) {
  switch (type) {
    case kInt8:
      return INT8OID;
    case kInt4:
      return INT4OID;
    case kTimestampTz:
      return TIMESTAMPTZOID;
    case kText:
      return TEXTOID;
    case kUuid:
      return UUIDOID;
    case kLogStatus:
      return status_type;
    case kChannelType:
      return channel_type;
  }
  return InvalidOid;
}

Datum label_unsafe(Oid type, std::string_view label) {
  char buffer[64];
  size_t n = label.size() < sizeof buffer - 1 ? label.size() : sizeof buffer - 1;
  std::memcpy(buffer, label.data(), n);
  buffer[n] = '\0';
  return DirectFunctionCall2(enum_in, CStringGetDatum(buffer), ObjectIdGetDatum(type));
}

// Whether the opened table is exactly the extension's; fills t if so.
bool describe_unsafe(Relation rel, Table* t) {
  if (rel->rd_rel->relkind != RELKIND_RELATION) return false;
  if (check_enable_rls(RelationGetRelid(rel), InvalidOid, false) == RLS_ENABLED) return false;
  t->wake = false;
  if (rel->trigdesc != nullptr) {
    for (int i = 0; i < rel->trigdesc->numtriggers; ++i) {
      const Trigger& trigger = rel->trigdesc->triggers[i];
      if (std::strcmp(trigger.tgname, kWakeTrigger) != 0) return false;
      t->wake = trigger.tgenabled != TRIGGER_DISABLED;
    }
  }
  Oid nsp = get_namespace_oid("mc", false);
  Oid status_type = type_oid_unsafe("delivery_status", nsp);
  Oid channel_type = type_oid_unsafe("channel", nsp);
  if (!OidIsValid(status_type) || !OidIsValid(channel_type)) return false;
  TupleDesc desc = RelationGetDescr(rel);
  for (int c = 0; c < kColumnCount; ++c) t->attnum[c] = InvalidAttrNumber;
  for (int i = 0; i < desc->natts; ++i) {
    Form_pg_attribute att = TupleDescAttr(desc, i);
    if (att->attisdropped) continue;
    int found = -1;
    for (int c = 0; c < kColumnCount; ++c)
      if (std::strcmp(NameStr(att->attname), kColumns[c].name) == 0) found = c;
    bool stays_null = found < 0 || !kColumns[found].set;
    // A column left NULL must be one an INSERT that does not name it would leave NULL too.
    if (stays_null && (att->atthasdef || att->attnotnull || att->attidentity != '\0' ||
                       att->attgenerated != '\0'))
      return false;
    if (found < 0) continue;
    if (att->atttypid != expected_type(kColumns[found].type, status_type, channel_type))
      return false;
    t->attnum[found] = att->attnum;
  }
  for (int c = 0; c < kColumnCount; ++c)
    if (t->attnum[c] == InvalidAttrNumber && kColumns[c].set && c != kUnsubscribeUrl) return false;
  // The table's own CHECK (queue) holds for every row this path writes ('rt' or 'batch'), and
  // every NOT NULL column is set: constraints need checking only if someone added others.
  TupleConstr* constr = desc->constr;
  t->check_constraints = false;
  if (constr != nullptr)
    for (int i = 0; i < constr->num_check; ++i)
      if (std::strcmp(constr->check[i].ccname, kOwnCheck) != 0) t->check_constraints = true;
  t->relid = RelationGetRelid(rel);
  for (int c = 0; c < kChannelCount; ++c)
    t->channels[c] = label_unsafe(channel_type, core::channel_name(static_cast<core::Channel>(c)));
  t->statuses[static_cast<int>(core::LogStatus::None)] = 0;
  t->statuses[static_cast<int>(core::LogStatus::Pending)] =
      label_unsafe(status_type, core::log_status_label(core::LogStatus::Pending));
  t->statuses[static_cast<int>(core::LogStatus::Ignored)] =
      label_unsafe(status_type, core::log_status_label(core::LogStatus::Ignored));
  return true;
}

// The privileges the INSERT statement would need: INSERT on the table, or on every column it
// names.
void check_privilege_unsafe(const Table* t, bool unsubscribe) {
  Oid user = GetUserId();
  if (pg_class_aclcheck(t->relid, user, ACL_INSERT) == ACLCHECK_OK) return;
  for (int c = 0; c < kColumnCount; ++c)
    if ((kColumns[c].insert_names_it || (c == kUnsubscribeUrl && unsubscribe)) &&
        pg_attribute_aclcheck(t->relid, t->attnum[c], user, ACL_INSERT) != ACLCHECK_OK)
      aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, get_rel_name(t->relid));
}

Datum text_datum(std::string_view s) {
  return PointerGetDatum(cstring_to_text_with_len(s.data(), static_cast<int>(s.size())));
}

void fill_slot(TupleTableSlot* slot, const Table* t, const LogRow& r, Datum queue,
               TimestampTz now) {
  Datum* values = slot->tts_values;
  bool* nulls = slot->tts_isnull;
  for (int i = 0; i < slot->tts_tupleDescriptor->natts; ++i) nulls[i] = true;
  auto set = [&](Column c, Datum value) {
    int i = t->attnum[c] - 1;
    values[i] = value;
    nulls[i] = false;
  };
  auto set_optional = [&](Column c, const std::optional<std::string_view>& s) {
    if (s) set(c, text_datum(*s));
  };
  set(kEventId, Int64GetDatum(r.event_id));
  set(kStatus, t->statuses[static_cast<int>(r.status)]);
  set(kChannel, t->channels[static_cast<int>(r.channel)]);
  set(kDeliveryId, Int64GetDatum(r.delivery_id));
  set(kAttempts, Int32GetDatum(0));
  set(kCreatedAt, TimestampTzGetDatum(now));
  set(kLastModifiedAt, TimestampTzGetDatum(now));
  set(kQueue, queue);
  set(kAddress, text_datum(r.address));
  set_optional(kSender, r.sender);
  set_optional(kSubject, r.subject);
  set_optional(kBodyHtml, r.body_html);
  set_optional(kBodyText, r.body_text);
  set_optional(kPushData, r.push_data);
  set_optional(kWebhookUrl, r.webhook_url);
  set_optional(kFailureReason, r.failure_reason);
  if (t->attnum[kUnsubscribeUrl] != InvalidAttrNumber)
    set_optional(kUnsubscribeUrl, r.unsubscribe_url);
  ExecStoreVirtualTuple(slot);
}

List* insert_index_tuples(ResultRelInfo* rri, TupleTableSlot* slot, EState* estate) {
#if PG_VERSION_NUM >= 190000
#error "insert_index_tuples: check ExecInsertIndexTuples for this PostgreSQL version"
#elif PG_VERSION_NUM >= 160000
  return ExecInsertIndexTuples(rri, slot, estate, false, false, nullptr, NIL, false);
#else
  return ExecInsertIndexTuples(rri, slot, estate, false, false, nullptr, NIL);
#endif
}

// Returns false (nothing written) when the table is not the extension's.
bool insert_unsafe(intake::Queue queue, TimestampTz now, const std::vector<LogRow>& rows) {
  Oid nsp = get_namespace_oid("mc", false);
  Oid relid = get_relname_relid("delivery_log", nsp);
  if (!OidIsValid(relid)) return false;
  // The lock an INSERT takes, held to the end of the transaction.
  Relation probe = table_open(relid, RowExclusiveLock);
  Table t;
  bool direct = describe_unsafe(probe, &t);
  table_close(probe, NoLock);
  if (!direct) return false;
  bool unsubscribe = false;
  for (const LogRow& r : rows)
    if (r.unsubscribe_url) unsubscribe = true;
  // A 0.4.0 table (no unsubscribe_url yet) takes rows without one only.
  if (unsubscribe && t.attnum[kUnsubscribeUrl] == InvalidAttrNumber) return false;
  check_privilege_unsafe(&t, unsubscribe);

  EState* estate = CreateExecutorState();
  ResultRelInfo* rri = pg::open_result_relation_unsafe(estate, relid, CMD_INSERT, nullptr);
  Relation rel = rri->ri_RelationDesc;

  int count = static_cast<int>(rows.size());
  TupleTableSlot** slots = static_cast<TupleTableSlot**>(palloc(sizeof(TupleTableSlot*) * count));
  // Slots over an unpinned copy of the descriptor (as intake: a thousand slots pinning the
  // relation's own would make the resource owner's bookkeeping quadratic).
  TupleDesc slot_desc = CreateTupleDescCopy(RelationGetDescr(rel));
  MemoryContext rows_context =
      AllocSetContextCreate(CurrentMemoryContext, "mc delivery-log rows", ALLOCSET_DEFAULT_SIZES);
  MemoryContext caller = MemoryContextSwitchTo(rows_context);
  Datum queue_text = text_datum(queue == intake::Queue::Rt ? "rt" : "batch");
  for (int j = 0; j < count; ++j) {
    slots[j] = MakeSingleTupleTableSlot(slot_desc, table_slot_callbacks(rel));
    fill_slot(slots[j], &t, rows[j], queue_text, now);
  }
  MemoryContextSwitchTo(caller);
  if (t.check_constraints)
    for (int j = 0; j < count; ++j) {
      ExecConstraints(rri, slots[j], estate);
      ResetPerTupleExprContext(estate);
    }
  BulkInsertState bistate = count > 1 ? GetBulkInsertState() : nullptr;
  CommandId cid = GetCurrentCommandId(true);
  if (count == 1)
    table_tuple_insert(rel, slots[0], cid, 0, bistate);
  else
    table_multi_insert(rel, slots, count, cid, 0, bistate);
  // Index entries, as INSERT makes them: the primary key refuses a second row for an event.
  if (rri->ri_NumIndices > 0)
    for (int j = 0; j < count; ++j) {
      list_free(insert_index_tuples(rri, slots[j], estate));
      ResetPerTupleExprContext(estate);
    }
  if (bistate) FreeBulkInsertState(bistate);
  for (int j = 0; j < count; ++j) ExecDropSingleTupleTableSlot(slots[j]);
  MemoryContextDelete(rows_context);
  ExecResetTupleTable(estate->es_tupleTable, false);
  ExecCloseResultRelations(estate);
  ExecCloseRangeTableRelations(estate);
  FreeExecutorState(estate);
  // What the statement trigger would do: wake the sender workers when this transaction commits.
  if (t.wake) {
    int rc = SPI_execute("SELECT mc._wake_senders()", false, 0);
    if (rc != SPI_OK_SELECT)
      elog(ERROR, "mc._wake_senders() failed: %s", SPI_result_code_string(rc));
  }
  // The rows are visible to the batch's next statements.
  CommandCounterIncrement();
  return true;
}

}  // namespace

bool insert_logs_direct(intake::Queue queue, TimestampTz now, const std::vector<LogRow>& rows) {
  if (rows.empty()) return true;
  return pg::call([&] { return insert_unsafe(queue, now, rows); });
}

}  // namespace mc::processing
