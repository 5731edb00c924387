#include "processing/event_update.hpp"

#include <cstring>

#include "intake/queue.hpp"
#include "pg/guard.hpp"
#include "pg/result_relation.hpp"

extern "C" {
#include "access/heapam.h"
#include "access/sysattr.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/genam.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
}

namespace mc::processing {
namespace {

// The columns processing reads (id) and sets (sql/tables/events.sql), found by name.
enum Column {
  kId,
  kStatus,
  kTemplateId,
  kDeliveryId,
  kErrorCount,
  kLastError,
  kProcessRequestedAt,
  kProcessingAt,
  kProcessedAt,
  kLastModifiedAt,
  kColumnCount
};
enum Type { kInt8, kInt4, kTimestampTz, kText, kEventStatus };
struct ColumnSpec {
  const char* name;
  Type type;
};
constexpr ColumnSpec kColumns[kColumnCount] = {
    {"id", kInt8},
    {"status", kEventStatus},
    {"template_id", kInt8},
    {"delivery_id", kInt8},
    {"error_count", kInt4},
    {"last_error", kText},
    {"process_requested_at", kTimestampTz},
    {"processing_at", kTimestampTz},
    {"processed_at", kTimestampTz},
    {"last_modified_at", kTimestampTz},
};
constexpr int kStatusCount = 4;  // core::EventStatus

struct Table {
  Oid relid;
  AttrNumber attnum[kColumnCount];
  Datum statuses[kStatusCount];
};

// The queues' own CHECKs (event_in_queue, event_valid) hold for processing's rows: the status is
// 'pending' exactly when processed_at stays NULL (core/processing_decision.cpp), and no
// validated column changes (intake/own_row_update.hpp).
bool own_constraints_only(Relation rel) {
  TupleConstr* constr = RelationGetDescr(rel)->constr;
  if (constr == nullptr) return true;
  for (int i = 0; i < constr->num_check; ++i)
    if (std::strcmp(constr->check[i].ccname, "event_valid") != 0 &&
        std::strcmp(constr->check[i].ccname, "event_in_queue") != 0)
      return false;
  return true;
}

bool describe_unsafe(Relation rel, Table* t) {
  if (rel->rd_rel->relkind != RELKIND_RELATION || rel->trigdesc != nullptr) return false;
  if (check_enable_rls(RelationGetRelid(rel), InvalidOid, false) == RLS_ENABLED) return false;
  if (!own_constraints_only(rel)) return false;
  Oid nsp = get_namespace_oid("mc", false);
  Oid status_type = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum("event_status"),
                                    ObjectIdGetDatum(nsp));
  if (!OidIsValid(status_type)) return false;
  TupleDesc desc = RelationGetDescr(rel);
  for (int c = 0; c < kColumnCount; ++c) t->attnum[c] = InvalidAttrNumber;
  for (int i = 0; i < desc->natts; ++i) {
    Form_pg_attribute att = TupleDescAttr(desc, i);
    if (att->attisdropped) continue;
    for (int c = 0; c < kColumnCount; ++c) {
      if (std::strcmp(NameStr(att->attname), kColumns[c].name) != 0) continue;
      Oid expected = InvalidOid;
      switch (kColumns[c].type) {
        case kInt8:
          expected = INT8OID;
          break;
        case kInt4:
          expected = INT4OID;
          break;
        case kTimestampTz:
          expected = TIMESTAMPTZOID;
          break;
        case kText:
          expected = TEXTOID;
          break;
        case kEventStatus:
          expected = status_type;
          break;
      }
      if (att->atttypid != expected || att->attgenerated != '\0') return false;
      t->attnum[c] = att->attnum;
    }
  }
  for (int c = 0; c < kColumnCount; ++c)
    if (t->attnum[c] == InvalidAttrNumber) return false;
  t->relid = RelationGetRelid(rel);
  for (int s = 0; s < kStatusCount; ++s) {
    std::string_view label = core::event_status_label(static_cast<core::EventStatus>(s));
    char buffer[64];
    size_t n = label.size() < sizeof buffer - 1 ? label.size() : sizeof buffer - 1;
    std::memcpy(buffer, label.data(), n);
    buffer[n] = '\0';
    t->statuses[s] =
        DirectFunctionCall2(enum_in, CStringGetDatum(buffer), ObjectIdGetDatum(status_type));
  }
  return true;
}

// The privileges the UPDATE statement needs: UPDATE on every column it sets and SELECT on id
// (its join reads it), each on the table or on the column.
void check_privileges_unsafe(const Table* t) {
  Oid user = GetUserId();
  if (pg_class_aclcheck(t->relid, user, ACL_UPDATE) != ACLCHECK_OK)
    for (int c = 0; c < kColumnCount; ++c)
      if (c != kId &&
          pg_attribute_aclcheck(t->relid, t->attnum[c], user, ACL_UPDATE) != ACLCHECK_OK)
        aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, get_rel_name(t->relid));
  if (pg_class_aclcheck(t->relid, user, ACL_SELECT) != ACLCHECK_OK &&
      pg_attribute_aclcheck(t->relid, t->attnum[kId], user, ACL_SELECT) != ACLCHECK_OK)
    aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, get_rel_name(t->relid));
}

// Index entries for a new row version. PostgreSQL 16 made the table AM say which indexes need
// them (none after a HOT update; summarizing ones only).
#if PG_VERSION_NUM >= 160000
using UpdateIndexes = TU_UpdateIndexes;
bool needs_index_entries(UpdateIndexes u) { return u != TU_None; }
bool summarizing_only(UpdateIndexes u) { return u == TU_Summarizing; }
#else
using UpdateIndexes = bool;
bool needs_index_entries(UpdateIndexes u) { return u; }
[[maybe_unused]] bool summarizing_only(UpdateIndexes) { return false; }
#endif

// How the entries of one index are made for a version whose key columns processing never
// changes (the id, the idempotency key, created_at), which ExecInsertIndexTuples cannot know:
// - a unique index whose key did not change needs no uniqueness check: the old version held
//   the same key, so no other row can, and the check would only fetch that old version from the
//   heap to find it being updated by this transaction (9 % of the event's index insertion);
// - a BRIN index whose key did not change needs no entry when the new version is on the old
//   one's page: the page's range summary already covers the value (3.4 % of a batch).
struct IndexPlan {
  bool key_unchanged = false;
  bool brin = false;
};

// One plan per index, palloc'd (plain data: a longjmp may leave this function); nullptr when an
// index needs what only the executor does (exclusion constraints, deferred uniqueness): then
// every entry goes through ExecInsertIndexTuples.
IndexPlan* plan_indexes_unsafe(ResultRelInfo* rri, Bitmapset* updated) {
  if (rri->ri_NumIndices == 0) return nullptr;
  auto* plans = static_cast<IndexPlan*>(palloc0(sizeof(IndexPlan) * rri->ri_NumIndices));
  for (int i = 0; i < rri->ri_NumIndices; ++i) {
    Relation index = rri->ri_IndexRelationDescs[i];
    IndexInfo* info = rri->ri_IndexRelationInfo[i];
    if (index == nullptr) continue;
    if (info->ii_ExclusionOps != nullptr ||
        (index->rd_index->indisunique && !index->rd_index->indimmediate)) {
      pfree(plans);
      return nullptr;
    }
    Bitmapset* keys = nullptr;
    for (int k = 0; k < info->ii_NumIndexAttrs; ++k)
      if (info->ii_IndexAttrNumbers[k] != 0)
        keys =
            bms_add_member(keys, info->ii_IndexAttrNumbers[k] - FirstLowInvalidHeapAttributeNumber);
    pull_varattnos(reinterpret_cast<Node*>(info->ii_Expressions), 1, &keys);
    plans[i].key_unchanged = !bms_overlap(keys, updated);
    plans[i].brin = index->rd_rel->relam == BRIN_AM_OID;
    bms_free(keys);
  }
  return plans;
}

void insert_index_entries(ResultRelInfo* rri, TupleTableSlot* slot, EState* estate,
                          const IndexPlan* plans, ItemPointer old_tid,
                          [[maybe_unused]] UpdateIndexes u) {
  if (plans == nullptr) {
#if PG_VERSION_NUM >= 190000
#error "insert_index_entries: check ExecInsertIndexTuples for this PostgreSQL version"
#elif PG_VERSION_NUM >= 160000
    list_free(
        ExecInsertIndexTuples(rri, slot, estate, true, false, nullptr, NIL, summarizing_only(u)));
#else
    list_free(ExecInsertIndexTuples(rri, slot, estate, true, false, nullptr, NIL));
#endif
    return;
  }
  // What ExecInsertIndexTuples does for an UPDATE with no ON CONFLICT, per index.
  Relation heap = rri->ri_RelationDesc;
  ExprContext* econtext = GetPerTupleExprContext(estate);
  econtext->ecxt_scantuple = slot;
  bool same_page = ItemPointerGetBlockNumber(&slot->tts_tid) == ItemPointerGetBlockNumber(old_tid);
  Datum values[INDEX_MAX_KEYS];
  bool isnull[INDEX_MAX_KEYS];
  for (int i = 0; i < rri->ri_NumIndices; ++i) {
    Relation index = rri->ri_IndexRelationDescs[i];
    IndexInfo* info = rri->ri_IndexRelationInfo[i];
    const IndexPlan& plan = plans[i];
    if (index == nullptr || !info->ii_ReadyForInserts) continue;
#if PG_VERSION_NUM >= 160000
    if (summarizing_only(u) && !info->ii_Summarizing) continue;
#endif
    if (plan.brin && plan.key_unchanged && same_page) continue;
    if (info->ii_Predicate != NIL) {
      if (info->ii_PredicateState == nullptr)
        info->ii_PredicateState = ExecPrepareQual(info->ii_Predicate, estate);
      if (!ExecQual(info->ii_PredicateState, econtext)) continue;
    }
    FormIndexDatum(info, slot, estate, values, isnull);
    IndexUniqueCheck check =
        index->rd_index->indisunique && !plan.key_unchanged ? UNIQUE_CHECK_YES : UNIQUE_CHECK_NO;
    index_insert(index, values, isnull, &slot->tts_tid, heap, check, plan.key_unchanged, info);
  }
}

Bitmapset* updated_columns_unsafe(const Table* t) {
  Bitmapset* updated = nullptr;
  for (int c = 0; c < kColumnCount; ++c)
    if (c != kId)
      updated = bms_add_member(updated, t->attnum[c] - FirstLowInvalidHeapAttributeNumber);
  return updated;
}

// Returns false (nothing written) when the table is not the extension's; else appends to `left`
// the events it could not update.
bool update_unsafe(intake::Queue queue, TimestampTz now, const std::vector<EventChange>& changes,
                   std::vector<size_t>* left) {
  Oid nsp = get_namespace_oid("mc", false);
  Oid relid = get_relname_relid(intake::table_of(queue), nsp);
  if (!OidIsValid(relid)) return false;
  // The lock an UPDATE takes, held to the end of the transaction.
  Relation probe = table_open(relid, RowExclusiveLock);
  Table t;
  bool direct = describe_unsafe(probe, &t);
  table_close(probe, NoLock);
  if (!direct) return false;
  check_privileges_unsafe(&t);

  EState* estate = CreateExecutorState();
  // The updated columns: the index AM's hint that an index's key did not change (bottom-up
  // deletion of the old versions' entries) reads them.
  Bitmapset* updated = updated_columns_unsafe(&t);
  ResultRelInfo* rri = pg::open_result_relation_unsafe(estate, relid, CMD_UPDATE, updated);
  const IndexPlan* plans = plan_indexes_unsafe(rri, updated);
  Relation rel = rri->ri_RelationDesc;
  TupleDesc desc = RelationGetDescr(rel);
  int natts = desc->natts;

  TupleTableSlot* old_slot = table_slot_create(rel, nullptr);
  TupleTableSlot* new_slot = table_slot_create(rel, nullptr);
  CommandId cid = GetCurrentCommandId(true);
  // What a statement starting now would see: a version that is not the current one (updated
  // since the claim, by another transaction or by this one, e.g. an enrichment function) is left
  // to the statement, as is one whose updater is still running (table_tuple_update waits for it).
  Snapshot latest = RegisterSnapshot(GetLatestSnapshot());
  MemoryContext row_context =
      AllocSetContextCreate(CurrentMemoryContext, "mc event update", ALLOCSET_DEFAULT_SIZES);

  for (size_t i = 0; i < changes.size(); ++i) {
    const EventChange& ch = changes[i];
    MemoryContext caller = MemoryContextSwitchTo(row_context);
    ItemPointerData tid = ch.tid;
    // The version the claim read, whatever has happened to it since; the same event's, or the
    // statement takes it.
    bool found = table_tuple_fetch_row_version(rel, &tid, SnapshotAny, old_slot);
    bool same = false;
    if (found) {
      bool isnull;
      Datum id = slot_getattr(old_slot, t.attnum[kId], &isnull);
      same = !isnull && DatumGetInt64(id) == ch.id &&
             table_tuple_satisfies_snapshot(rel, old_slot, latest);
    }
    if (!same) {
      ExecClearTuple(old_slot);
      MemoryContextSwitchTo(caller);
      MemoryContextReset(row_context);
      left->push_back(i);
      continue;
    }
    slot_getallattrs(old_slot);
    ExecClearTuple(new_slot);
    std::memcpy(new_slot->tts_values, old_slot->tts_values, sizeof(Datum) * natts);
    std::memcpy(new_slot->tts_isnull, old_slot->tts_isnull, sizeof(bool) * natts);
    Datum* values = new_slot->tts_values;
    bool* nulls = new_slot->tts_isnull;
    auto set = [&](Column c, Datum value, bool isnull) {
      values[t.attnum[c] - 1] = value;
      nulls[t.attnum[c] - 1] = isnull;
    };
    set(kStatus, t.statuses[static_cast<int>(ch.status)], false);
    set(kTemplateId, Int64GetDatum(ch.template_id.value_or(0)), !ch.template_id);
    set(kDeliveryId, Int64GetDatum(ch.delivery_id.value_or(0)), !ch.delivery_id);
    set(kErrorCount, Int32GetDatum(ch.error_count), false);
    if (ch.last_error)
      set(kLastError,
          PointerGetDatum(cstring_to_text_with_len(ch.last_error->data(),
                                                   static_cast<int>(ch.last_error->size()))),
          false);
    else
      set(kLastError, 0, true);
    set(kProcessRequestedAt, TimestampTzGetDatum(ch.retry_at.value_or(0)), !ch.retry_at);
    set(kProcessingAt, TimestampTzGetDatum(now), false);
    set(kProcessedAt, TimestampTzGetDatum(ch.processed_at.value_or(0)), !ch.processed_at);
    set(kLastModifiedAt, TimestampTzGetDatum(now), false);
    ExecStoreVirtualTuple(new_slot);
    // Materialized now, while the old version's page is still pinned by old_slot.
    ExecMaterializeSlot(new_slot);
    ExecClearTuple(old_slot);

    TM_FailureData tmfd;
    LockTupleMode lockmode;
    UpdateIndexes update_indexes;
    TM_Result result = table_tuple_update(rel, &tid, new_slot, cid, latest, InvalidSnapshot,
                                          true /* wait */, &tmfd, &lockmode, &update_indexes);
    if (result == TM_Ok) {
      if (rri->ri_NumIndices > 0 && needs_index_entries(update_indexes))
        insert_index_entries(rri, new_slot, estate, plans, &tid, update_indexes);
    } else {
      // Updated or deleted by another transaction since the claim read it (or by this one:
      // an event twice in a batch cannot happen): the statement finds the current version.
      left->push_back(i);
    }
    ResetPerTupleExprContext(estate);
    ExecClearTuple(new_slot);
    MemoryContextSwitchTo(caller);
    MemoryContextReset(row_context);
  }

  MemoryContextDelete(row_context);
  UnregisterSnapshot(latest);
  ExecDropSingleTupleTableSlot(old_slot);
  ExecDropSingleTupleTableSlot(new_slot);
  ExecResetTupleTable(estate->es_tupleTable, false);
  ExecCloseResultRelations(estate);
  ExecCloseRangeTableRelations(estate);
  FreeExecutorState(estate);
  // The new versions are visible to the batch's next statements.
  CommandCounterIncrement();
  return true;
}

}  // namespace

std::vector<size_t> update_events_direct(intake::Queue queue, TimestampTz now,
                                         const std::vector<EventChange>& changes) {
  std::vector<size_t> left;
  if (changes.empty()) return left;
  left.reserve(changes.size());
  bool direct = pg::call([&] { return update_unsafe(queue, now, changes, &left); });
  if (!direct) {
    left.clear();
    for (size_t i = 0; i < changes.size(); ++i) left.push_back(i);
  }
  return left;
}

}  // namespace mc::processing
