#include "status/direct_copy.hpp"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "pg/guard.hpp"

extern "C" {
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_am_d.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
}

namespace mc::status {

OutcomeHash::OutcomeHash(std::size_t expected) {
  std::size_t slots = 16;
  while (slots < expected * 2) slots <<= 1;  // at most half full: short probe sequences
  entries_.assign(slots, Entry{0, InvalidOid});
  mask_ = slots - 1;
}

void OutcomeHash::put(int64_t id, Oid status) {
  std::size_t i = slot_of(id);
  while (entries_[i].status != InvalidOid && entries_[i].id != id) i = (i + 1) & mask_;
  if (entries_[i].status == InvalidOid) ++size_;
  entries_[i] = Entry{id, status};
}

namespace {

// Where the direct path reads and writes in a queue table's rows. Offsets are from the start
// of a row's data (t_hoff): the same in every row, since every column before them is
// fixed-width and NOT NULL.
struct Layout {
  Oid relid;
  Oid status_type;
  AttrNumber processed_at;
  int id_offset, status_offset, last_modified_offset;
};

bool own_checks_only(TupleDesc desc) {
  TupleConstr* constr = desc->constr;
  if (constr == nullptr) return true;
  if (constr->has_generated_stored) return false;
  for (int i = 0; i < constr->num_check; ++i)
    if (std::strcmp(constr->check[i].ccname, "event_valid") != 0 &&
        std::strcmp(constr->check[i].ccname, "event_in_queue") != 0)
      return false;
  return true;
}

// Fills layout and returns true when the direct path applies (see the header); nothing is
// cached: this runs once per copy, next to a scan of the whole table.
bool resolve_unsafe(intake::Queue queue, Layout* layout, int64_t* pages) {
  Oid nsp = get_namespace_oid("mc", false);
  layout->relid = get_relname_relid(intake::table_of(queue), nsp);
  layout->status_type = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
                                        CStringGetDatum("event_status"), ObjectIdGetDatum(nsp));
  if (!OidIsValid(layout->relid) || !OidIsValid(layout->status_type)) return false;
  // The lock an UPDATE takes, held to the end of the transaction.
  Relation rel = table_open(layout->relid, RowExclusiveLock);
  TupleDesc desc = RelationGetDescr(rel);
  bool ok = rel->rd_rel->relkind == RELKIND_RELATION && rel->rd_rel->relam == HEAP_TABLE_AM_OID &&
            rel->trigdesc == nullptr && !rel->rd_rel->relrowsecurity && own_checks_only(desc);
  AttrNumber id = InvalidAttrNumber, status = InvalidAttrNumber, last_modified = InvalidAttrNumber;
  layout->processed_at = InvalidAttrNumber;
  for (int i = 0; ok && i < desc->natts; ++i) {
    Form_pg_attribute att = TupleDescAttr(desc, i);
    if (att->attisdropped) continue;
    const char* name = NameStr(att->attname);
    if (std::strcmp(name, "id") == 0 && att->atttypid == INT8OID) id = att->attnum;
    if (std::strcmp(name, "status") == 0 && att->atttypid == layout->status_type)
      status = att->attnum;
    if (std::strcmp(name, "last_modified_at") == 0 && att->atttypid == TIMESTAMPTZOID)
      last_modified = att->attnum;
    if (std::strcmp(name, "processed_at") == 0 && att->atttypid == TIMESTAMPTZOID)
      layout->processed_at = att->attnum;
  }
  ok = ok && id != InvalidAttrNumber && status != InvalidAttrNumber &&
       last_modified != InvalidAttrNumber && layout->processed_at != InvalidAttrNumber;
  if (ok) {
    AttrNumber last = std::max({id, status, last_modified});
    int offset = 0;
    for (AttrNumber a = 1; ok && a <= last; ++a) {
      Form_pg_attribute att = TupleDescAttr(desc, a - 1);
      if (att->attisdropped || !att->attnotnull || att->attlen <= 0) {
        ok = false;
        break;
      }
      offset = att_align_nominal(offset, att->attalign);
      if (a == id) layout->id_offset = offset;
      if (a == status) layout->status_offset = offset;
      if (a == last_modified) layout->last_modified_offset = offset;
      offset += att->attlen;
    }
  }
  if (ok) {
    // As the executor checks an UPDATE (the function runs as its owner, SECURITY DEFINER).
    if (pg_class_aclcheck(layout->relid, GetUserId(), ACL_UPDATE) != ACLCHECK_OK)
      aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, RelationGetRelationName(rel));
    CheckCmdReplicaIdentity(rel, CMD_UPDATE);
    *pages = RelationGetNumberOfBlocks(rel);
  }
  table_close(rel, NoLock);
  return ok;
}

struct CopyState {
  Relation rel;
  const Layout* layout;
  const OutcomeHash* outcomes;
  TimestampTz now;
  CommandId cid;
  Snapshot snapshot;
  EState* estate;
  ResultRelInfo* rri;
  TupleTableSlot* index_slot;  // a new version that needs index entries
  TupleTableSlot* lock_slot;   // the latest version of a row changed concurrently
  int64_t copied;
};

inline char* row_data(HeapTuple tuple) {
  return reinterpret_cast<char*>(tuple->t_data) + tuple->t_data->t_hoff;
}

// The new status of this version of a row, or InvalidOid when the copy leaves it alone.
Oid wanted_status_unsafe(const CopyState& s, HeapTuple tuple) {
  const char* data = row_data(tuple);
  int64 id;
  std::memcpy(&id, data + s.layout->id_offset, sizeof id);
  Oid status = s.outcomes->get(id);
  if (status == InvalidOid) return InvalidOid;
  Oid current;
  std::memcpy(&current, data + s.layout->status_offset, sizeof current);
  if (current == status) return InvalidOid;  // e.status IS DISTINCT FROM c.status
  bool isnull;
  heap_getattr(tuple, s.layout->processed_at, RelationGetDescr(s.rel), &isnull);
  return isnull ? InvalidOid : status;  // e.processed_at IS NOT NULL
}

// Updates one row whose visible version is `tuple` (at its t_self) to `status`.
void update_row_unsafe(CopyState& s, HeapTuple tuple, Oid status) {
  ItemPointerData tid = tuple->t_self;
  for (;;) {
    HeapTuple newtup = heap_copytuple(tuple);
    char* data = row_data(newtup);
    std::memcpy(data + s.layout->status_offset, &status, sizeof status);
    std::memcpy(data + s.layout->last_modified_offset, &s.now, sizeof s.now);
    TM_FailureData tmfd;
    LockTupleMode lockmode;
#if PG_VERSION_NUM >= 160000
    TU_UpdateIndexes update_indexes;
    TM_Result result = heap_update(s.rel, &tid, newtup, s.cid, InvalidSnapshot, true, &tmfd,
                                   &lockmode, &update_indexes);
#else
    TM_Result result =
        heap_update(s.rel, &tid, newtup, s.cid, InvalidSnapshot, true, &tmfd, &lockmode);
#endif
    switch (result) {
      case TM_Ok:
        ++s.copied;
        // Not HOT (no room on the page): the new version needs its index entries.
        if (!HeapTupleIsHeapOnly(newtup)) {
          ExecStoreHeapTuple(newtup, s.index_slot, false);
#if PG_VERSION_NUM >= 160000
          List* conflicts = ExecInsertIndexTuples(s.rri, s.index_slot, s.estate, false, false,
                                                  nullptr, NIL, update_indexes == TU_Summarizing);
#else
          List* conflicts =
              ExecInsertIndexTuples(s.rri, s.index_slot, s.estate, false, false, nullptr, NIL);
#endif
          list_free(conflicts);
          ExecClearTuple(s.index_slot);
          ResetPerTupleExprContext(s.estate);
        }
        heap_freetuple(newtup);
        return;
      case TM_SelfModified:  // already changed by this transaction: left as it is
      case TM_Deleted:       // gone (purged meanwhile): nothing to copy onto
        heap_freetuple(newtup);
        return;
      case TM_Updated: {
        heap_freetuple(newtup);
        if (IsolationUsesXactSnapshot())
          ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                          errmsg("could not serialize access due to concurrent update")));
        // READ COMMITTED: lock the latest version and decide again on it, as an UPDATE does.
        TM_Result locked =
            table_tuple_lock(s.rel, &tid, s.snapshot, s.lock_slot, s.cid, lockmode, LockWaitBlock,
                             TUPLE_LOCK_FLAG_FIND_LAST_VERSION, &tmfd);
        if (locked == TM_Deleted || locked == TM_SelfModified) return;
        if (locked != TM_Ok)
          elog(ERROR, "mc.update_events_status: unexpected result %d locking a changed event",
               static_cast<int>(locked));
        tuple = ExecFetchSlotHeapTuple(s.lock_slot, false, nullptr);
        tid = s.lock_slot->tts_tid;
        status = wanted_status_unsafe(s, tuple);
        if (status == InvalidOid) return;
        break;  // and update that version
      }
      default:
        elog(ERROR, "mc.update_events_status: unexpected result %d updating an event",
             static_cast<int>(result));
    }
  }
}

int64_t copy_unsafe(const Layout& layout, const OutcomeHash& outcomes, TimestampTz now) {
  CopyState s{};
  s.layout = &layout;
  s.outcomes = &outcomes;
  s.now = now;
  s.rel = table_open(layout.relid, RowExclusiveLock);
  // A snapshot of now, as the statement this replaces took one (READ COMMITTED), or the
  // transaction's. The versions this copy writes carry its command id: the scan does not see
  // them (a version moved to a later page is not updated twice).
  s.cid = GetCurrentCommandId(true);
  s.snapshot = RegisterSnapshot(GetTransactionSnapshot());
  s.snapshot->curcid = s.cid;
  s.estate = CreateExecutorState();
  s.rri = makeNode(ResultRelInfo);
  InitResultRelInfo(s.rri, s.rel, 1, nullptr, 0);
  ExecOpenIndices(s.rri, false);
  s.index_slot = MakeSingleTupleTableSlot(RelationGetDescr(s.rel), &TTSOpsHeapTuple);
  s.lock_slot = table_slot_create(s.rel, nullptr);
  TableScanDesc scan = table_beginscan(s.rel, s.snapshot, 0, nullptr);
  // What each row's update allocates (its new version, index entries), freed every 1,024 rows.
  MemoryContext rows =
      AllocSetContextCreate(CurrentMemoryContext, "mc status copy rows", ALLOCSET_DEFAULT_SIZES);
  MemoryContext outer = MemoryContextSwitchTo(rows);
  HeapTuple tuple;
  uint32 seen = 0;
  while ((tuple = heap_getnext(scan, ForwardScanDirection)) != nullptr) {
    if ((++seen & 1023) == 0) {
      CHECK_FOR_INTERRUPTS();
      MemoryContextReset(rows);
    }
    Oid status = wanted_status_unsafe(s, tuple);
    if (status != InvalidOid) update_row_unsafe(s, tuple, status);
  }
  MemoryContextSwitchTo(outer);
  MemoryContextDelete(rows);
  table_endscan(scan);
  ExecDropSingleTupleTableSlot(s.lock_slot);
  ExecDropSingleTupleTableSlot(s.index_slot);
  ExecCloseIndices(s.rri);
  FreeExecutorState(s.estate);
  UnregisterSnapshot(s.snapshot);
  table_close(s.rel, NoLock);
  // What follows in this transaction (the watermark's update) sees the copy.
  CommandCounterIncrement();
  return s.copied;
}

Layout layouts[2];

Oid enum_label_unsafe(Oid type, const char* label) {
  return DatumGetObjectId(
      DirectFunctionCall2(enum_in, CStringGetDatum(label), ObjectIdGetDatum(type)));
}

bool read_outcomes_unsafe(TimestampTz watermark, std::vector<Outcome> (&per_queue)[2]) {
  Oid nsp = get_namespace_oid("mc", false);
  Oid relid = get_relname_relid("delivery_log", nsp);
  Oid delivery_status = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
                                        CStringGetDatum("delivery_status"), ObjectIdGetDatum(nsp));
  Oid event_status = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum("event_status"),
                                     ObjectIdGetDatum(nsp));
  if (!OidIsValid(relid) || !OidIsValid(delivery_status) || !OidIsValid(event_status)) return false;
  const Oid pending = enum_label_unsafe(delivery_status, "pending"),
            sent = enum_label_unsafe(delivery_status, "sent"),
            ignored = enum_label_unsafe(delivery_status, "ignored");
  const Oid event_sent = enum_label_unsafe(event_status, "sent"),
            event_ignored = enum_label_unsafe(event_status, "ignored"),
            event_failed = enum_label_unsafe(event_status, "delivery_failed");
  Relation rel = table_open(relid, AccessShareLock);
  TupleDesc desc = RelationGetDescr(rel);
  AttrNumber id = InvalidAttrNumber, status = InvalidAttrNumber, modified = InvalidAttrNumber,
             queue = InvalidAttrNumber;
  for (int i = 0; i < desc->natts; ++i) {
    Form_pg_attribute att = TupleDescAttr(desc, i);
    if (att->attisdropped) continue;
    const char* name = NameStr(att->attname);
    if (std::strcmp(name, "event_id") == 0 && att->atttypid == INT8OID) id = att->attnum;
    if (std::strcmp(name, "status") == 0 && att->atttypid == delivery_status) status = att->attnum;
    if (std::strcmp(name, "last_modified_at") == 0 && att->atttypid == TIMESTAMPTZOID)
      modified = att->attnum;
    if (std::strcmp(name, "queue") == 0 && att->atttypid == TEXTOID) queue = att->attnum;
  }
  bool ok = rel->rd_rel->relkind == RELKIND_RELATION && rel->rd_rel->relam == HEAP_TABLE_AM_OID &&
            !rel->rd_rel->relrowsecurity && id != InvalidAttrNumber &&
            status != InvalidAttrNumber && modified != InvalidAttrNumber &&
            queue != InvalidAttrNumber;
  int id_offset = 0, status_offset = 0, modified_offset = 0;
  if (ok) {
    AttrNumber last = std::max({id, status, modified});
    int offset = 0;
    for (AttrNumber a = 1; a <= last; ++a) {
      Form_pg_attribute att = TupleDescAttr(desc, a - 1);
      if (att->attisdropped || !att->attnotnull || att->attlen <= 0) {
        ok = false;
        break;
      }
      offset = att_align_nominal(offset, att->attalign);
      if (a == id) id_offset = offset;
      if (a == status) status_offset = offset;
      if (a == modified) modified_offset = offset;
      offset += att->attlen;
    }
  }
  if (!ok) {
    table_close(rel, AccessShareLock);
    return false;
  }
  if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
    aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, RelationGetRelationName(rel));
  Snapshot snapshot = RegisterSnapshot(GetTransactionSnapshot());
  TableScanDesc scan = table_beginscan(rel, snapshot, 0, nullptr);
  HeapTuple tuple;
  uint32 seen = 0;
  while ((tuple = heap_getnext(scan, ForwardScanDirection)) != nullptr) {
    if ((++seen & 4095) == 0) CHECK_FOR_INTERRUPTS();
    const char* data = row_data(tuple);
    TimestampTz last_modified;
    std::memcpy(&last_modified, data + modified_offset, sizeof last_modified);
    if (last_modified < watermark) continue;
    Oid delivery;
    std::memcpy(&delivery, data + status_offset, sizeof delivery);
    if (delivery == pending) continue;
    bool isnull;
    Datum queue_datum = heap_getattr(tuple, queue, desc, &isnull);
    if (isnull) continue;
    // 'rt' or 'batch' (a CHECK constraint): a short text, detoasted without a copy.
    struct varlena* queue_text =
        pg_detoast_datum_packed(reinterpret_cast<struct varlena*>(DatumGetPointer(queue_datum)));
    std::string_view name(VARDATA_ANY(queue_text), VARSIZE_ANY_EXHDR(queue_text));
    int q = name == "rt" ? 0 : name == "batch" ? 1 : -1;
    if (q < 0) continue;
    int64 event_id;
    std::memcpy(&event_id, data + id_offset, sizeof event_id);
    per_queue[q].push_back(Outcome{event_id, delivery == sent      ? event_sent
                                             : delivery == ignored ? event_ignored
                                                                   : event_failed});
  }
  table_endscan(scan);
  UnregisterSnapshot(snapshot);
  table_close(rel, NoLock);
  return true;
}

}  // namespace

bool read_outcomes_direct(TimestampTz watermark, std::vector<Outcome> (&per_queue)[2]) {
  return pg::call([&] { return read_outcomes_unsafe(watermark, per_queue); });
}

bool direct_copy_applies(intake::Queue queue, int64_t* pages) {
  Layout* layout = &layouts[static_cast<int>(queue)];
  return pg::call([&] { return resolve_unsafe(queue, layout, pages); });
}

int64_t direct_copy(intake::Queue queue, const OutcomeHash& outcomes, TimestampTz now) {
  const Layout* layout = &layouts[static_cast<int>(queue)];
  return pg::call([&] { return copy_unsafe(*layout, outcomes, now); });
}

}  // namespace mc::status
