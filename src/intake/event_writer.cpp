#include "intake/event_writer.hpp"

#include <cstring>
#include <vector>

#include "core/channel.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/inval.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/syscache.h"
}

namespace mc::intake {
namespace {

// Column layout of mc.rt_event / mc.batch_event (sql/install/03_events.sql). The text
// columns follow the order of TextField.
enum ColumnType { kInt8, kInt4, kTimestampTz, kText, kJsonb, kStatus, kChannel };
struct Column {
  const char* name;
  ColumnType type;
};
constexpr Column kColumns[] = {
    {"id", kInt8},
    {"status", kStatus},
    {"wished_channel", kChannel},
    {"error_count", kInt4},
    {"created_at", kTimestampTz},
    {"last_modified_at", kTimestampTz},
    {"scheduled_at", kTimestampTz},
    {"expires_at", kTimestampTz},
    {"process_requested_at", kTimestampTz},
    {"processing_at", kTimestampTz},
    {"processed_at", kTimestampTz},
    {"template_id", kInt8},
    {"delivery_id", kInt8},
    {"event_type", kText},
    {"email", kText},
    {"mobile_phone", kText},
    {"external_id", kText},
    {"origin", kText},
    {"idempotency_key", kText},
    {"language", kText},
    {"country", kText},
    {"last_error", kText},
    {"ctx", kJsonb},
};
constexpr int kColumnCount = sizeof kColumns / sizeof kColumns[0];
constexpr int kColId = 0, kColStatus = 1, kColChannel = 2, kColErrorCount = 3, kColCreatedAt = 4,
              kColLastModifiedAt = 5, kColScheduledAt = 6, kColExpiresAt = 7, kColFirstText = 13,
              kColCtx = 22;
constexpr int kChannelCount = 5;

// Tuples per table_multi_insert call, as COPY buffers them.
constexpr int kMaxBufferedTuples = 1000;

struct TableInfo {
  Oid relid;
  Oid seqid;
  Oid status_type, channel_type;
  Datum pending;
  Datum channels[kChannelCount];
  bool direct;  // the table is exactly the extension's: the COPY-like path applies
  // Its constraints are only the extension's (NOT NULL on columns fill_slot always sets, and
  // the CHECKs event_in_queue and event_valid, which read_and_validate has just applied):
  // ExecConstraints, which re-reads and prepares the CHECK expressions on every call, can go.
  bool own_constraints_only;
};

// Columns fill_slot always sets (the NOT NULL ones the extension declares).
bool always_set(const char* column) {
  for (const char* name : {"id", "status", "wished_channel", "error_count", "created_at",
                           "last_modified_at", "event_type", "ctx"})
    if (std::strcmp(column, name) == 0) return true;
  return false;
}

bool own_constraints_only(Relation rel) {
  TupleConstr* constr = RelationGetDescr(rel)->constr;
  if (constr == nullptr) return true;
  for (int i = 0; i < constr->num_check; ++i)
    if (std::strcmp(constr->check[i].ccname, "event_valid") != 0 &&
        std::strcmp(constr->check[i].ccname, "event_in_queue") != 0)
      return false;
  TupleDesc desc = RelationGetDescr(rel);
  for (int i = 0; i < desc->natts; ++i) {
    Form_pg_attribute att = TupleDescAttr(desc, i);
    if (att->attnotnull && !always_set(NameStr(att->attname))) return false;
  }
  return true;
}

// Table information per queue, kept until a relcache invalidation of its table (ALTER TABLE,
// a new trigger or policy, DROP EXTENSION) or a cache reset.
struct CachedTable {
  bool valid;
  TableInfo info;
};
CachedTable cached_tables[2];

void on_relcache_invalidation(Datum, Oid relid) {
  for (CachedTable& cached : cached_tables)
    if (relid == InvalidOid || relid == cached.info.relid) cached.valid = false;
}

Oid type_oid_unsafe(const char* name, Oid nsp) {
  Oid oid =
      GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum(name), ObjectIdGetDatum(nsp));
  if (!OidIsValid(oid)) elog(ERROR, "type mc.%s is missing", name);
  return oid;
}

Datum enum_label_unsafe(Oid type, const char* label) {
  return DirectFunctionCall2(enum_in, CStringGetDatum(label), ObjectIdGetDatum(type));
}

bool layout_matches(Relation rel, const TableInfo* info) {
  TupleDesc desc = RelationGetDescr(rel);
  if (desc->natts != kColumnCount) return false;
  for (int i = 0; i < kColumnCount; ++i) {
    Form_pg_attribute att = TupleDescAttr(desc, i);
    if (att->attisdropped || std::strcmp(NameStr(att->attname), kColumns[i].name) != 0)
      return false;
    Oid expected = InvalidOid;
    switch (kColumns[i].type) {
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
      case kJsonb:
        expected = JSONBOID;
        break;
      case kStatus:
        expected = info->status_type;
        break;
      case kChannel:
        expected = info->channel_type;
        break;
    }
    if (att->atttypid != expected) return false;
  }
  return true;
}

void resolve_table_unsafe(Queue queue, TableInfo* info) {
  std::memset(info, 0, sizeof *info);
  Oid nsp = get_namespace_oid("mc", false);
  info->relid = get_relname_relid(table_of(queue), nsp);
  info->seqid = get_relname_relid("event_id_seq", nsp);
  if (!OidIsValid(info->relid) || !OidIsValid(info->seqid))
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
                    errmsg("table mc.%s or sequence mc.event_id_seq is missing", table_of(queue))));
  info->status_type = type_oid_unsafe("event_status", nsp);
  info->channel_type = type_oid_unsafe("channel", nsp);
  info->pending = enum_label_unsafe(info->status_type, "pending");
  for (int c = 0; c < kChannelCount; ++c) {
    std::string_view name = core::channel_name(static_cast<core::Channel>(c));
    char label[32];
    std::memcpy(label, name.data(), name.size());
    label[name.size()] = '\0';
    info->channels[c] = enum_label_unsafe(info->channel_type, label);
  }
  // The lock an INSERT takes, held to the end of the transaction.
  Relation rel = table_open(info->relid, RowExclusiveLock);
  info->direct = rel->rd_rel->relkind == RELKIND_RELATION && rel->trigdesc == nullptr &&
                 check_enable_rls(info->relid, InvalidOid, false) != RLS_ENABLED &&
                 layout_matches(rel, info);
  info->own_constraints_only = own_constraints_only(rel);
  table_close(rel, NoLock);
}

// The table's information, from the cache when still valid. Takes the lock an INSERT takes
// (held to the end of the transaction) before trusting the cache: taking it processes pending
// invalidations. Row security depends on the user: checked on every call.
void table_info_unsafe(Queue queue, TableInfo* info) {
  CachedTable& cached = cached_tables[static_cast<int>(queue)];
  if (cached.valid) {
    LockRelationOid(cached.info.relid, RowExclusiveLock);
    if (cached.valid && check_enable_rls(cached.info.relid, InvalidOid, false) != RLS_ENABLED) {
      *info = cached.info;
      return;
    }
  }
  resolve_table_unsafe(queue, info);
  cached.info = *info;
  cached.valid = true;
}

Datum text_datum(const TextSlot& slot) {
  return PointerGetDatum(cstring_to_text_with_len(slot.data, slot.len));
}

Datum ctx_datum(const EventRecord& r) {
  Jsonb* jsonb = static_cast<Jsonb*>(palloc(VARHDRSZ + r.ctx_bytes));
  SET_VARSIZE(jsonb, VARHDRSZ + r.ctx_bytes);
  std::memcpy(&jsonb->root, r.ctx, r.ctx_bytes);
  return JsonbPGetDatum(jsonb);
}

void fill_slot(TupleTableSlot* slot, const TableInfo* info, const EventRecord& r, int64 id,
               TimestampTz now) {
  Datum* values = slot->tts_values;
  bool* nulls = slot->tts_isnull;
  for (int i = 0; i < kColumnCount; ++i) nulls[i] = true;
  auto set = [&](int column, Datum value) {
    values[column] = value;
    nulls[column] = false;
  };
  set(kColId, Int64GetDatum(id));
  set(kColStatus, info->pending);
  set(kColChannel, info->channels[r.channel]);
  set(kColErrorCount, Int32GetDatum(0));
  set(kColCreatedAt, TimestampTzGetDatum(now));
  set(kColLastModifiedAt, TimestampTzGetDatum(now));
  if (r.has_scheduled_at) set(kColScheduledAt, TimestampTzGetDatum(r.scheduled_at));
  if (r.has_expires_at) set(kColExpiresAt, TimestampTzGetDatum(r.expires_at));
  for (int t = 0; t < kTextFieldCount; ++t)
    if (r.text[t].present) set(kColFirstText + t, text_datum(r.text[t]));
  set(kColCtx, ctx_datum(r));
  ExecStoreVirtualTuple(slot);
}

// The COPY path: build tuples, check constraints, multi-insert, insert index entries.
void insert_direct_unsafe(const TableInfo* info, const EventRecord* records, const int* which,
                          int count, int64* ids) {
  AclResult acl = pg_class_aclcheck(info->relid, GetUserId(), ACL_INSERT);
  if (acl != ACLCHECK_OK) aclcheck_error(acl, OBJECT_TABLE, get_rel_name(info->relid));

  EState* estate = CreateExecutorState();
  RangeTblEntry* rte = makeNode(RangeTblEntry);
  rte->rtekind = RTE_RELATION;
  rte->relid = info->relid;
  rte->relkind = RELKIND_RELATION;
  rte->rellockmode = RowExclusiveLock;
  rte->requiredPerms = ACL_INSERT;
  ExecInitRangeTable(estate, list_make1(rte));
  ResultRelInfo* rri = makeNode(ResultRelInfo);
  ExecInitResultRelation(estate, rri, 1);
  CheckValidResultRel(rri, CMD_INSERT);
  ExecOpenIndices(rri, false);
  Relation rel = rri->ri_RelationDesc;
  bool check_constraints = rel->rd_att->constr != nullptr && !info->own_constraints_only;

  int buffered = count < kMaxBufferedTuples ? count : kMaxBufferedTuples;
  TupleTableSlot** slots =
      static_cast<TupleTableSlot**>(palloc(sizeof(TupleTableSlot*) * buffered));
  // Slots over an unpinned copy of the descriptor: a thousand slots pinning the relation's own
  // descriptor would make the resource owner's bookkeeping quadratic.
  TupleDesc slot_desc = CreateTupleDescCopy(RelationGetDescr(rel));
  for (int s = 0; s < buffered; ++s)
    slots[s] = MakeSingleTupleTableSlot(slot_desc, table_slot_callbacks(rel));
  BulkInsertState bistate = count > 1 ? GetBulkInsertState() : nullptr;
  CommandId cid = GetCurrentCommandId(true);
  TimestampTz now = GetCurrentTransactionStartTimestamp();  // what now() returns
  MemoryContext rows_context =
      AllocSetContextCreate(CurrentMemoryContext, "mc intake rows", ALLOCSET_DEFAULT_SIZES);

  for (int start = 0; start < count; start += buffered) {
    int n = count - start < buffered ? count - start : buffered;
    MemoryContext caller = MemoryContextSwitchTo(rows_context);
    for (int j = 0; j < n; ++j) {
      int index = which[start + j];
      int64 id = nextval_internal(info->seqid, true);
      ExecClearTuple(slots[j]);
      fill_slot(slots[j], info, records[index], id, now);
      ids[index] = id;
    }
    MemoryContextSwitchTo(caller);
    if (check_constraints)
      for (int j = 0; j < n; ++j) {
        ExecConstraints(rri, slots[j], estate);
        ResetPerTupleExprContext(estate);
      }
    if (n == 1)
      table_tuple_insert(rel, slots[0], cid, 0, bistate);
    else
      table_multi_insert(rel, slots, n, cid, 0, bistate);
    if (rri->ri_NumIndices > 0)
      for (int j = 0; j < n; ++j) {
        list_free(ExecInsertIndexTuples(rri, slots[j], estate, false, false, nullptr, NIL));
        ResetPerTupleExprContext(estate);
      }
    for (int j = 0; j < n; ++j) ExecClearTuple(slots[j]);
    MemoryContextReset(rows_context);
  }

  if (bistate) FreeBulkInsertState(bistate);
  MemoryContextDelete(rows_context);
  for (int s = 0; s < buffered; ++s) ExecDropSingleTupleTableSlot(slots[s]);
  ExecResetTupleTable(estate->es_tupleTable, false);
  ExecCloseResultRelations(estate);
  ExecCloseRangeTableRelations(estate);
  FreeExecutorState(estate);
}

// Prepared statements of the SPI path, per queue, re-prepared when the table is recreated.
struct SpiPlans {
  Oid relid;
  SPIPlanPtr insert, lookup;
};
SpiPlans spi_plans[2];

void prepare_plans_unsafe(Queue queue, Oid relid, SpiPlans* plans) {
  if (plans->relid == relid && plans->insert && plans->lookup) return;
  if (plans->insert) SPI_freeplan(plans->insert);
  if (plans->lookup) SPI_freeplan(plans->lookup);
  plans->insert = plans->lookup = nullptr;
  plans->relid = InvalidOid;
  char sql[1024];
  // Columns in TextField order, then channel, ctx and times. The table name is ours.
  snprintf(sql, sizeof sql,
           "INSERT INTO mc.%s (event_type, email, mobile_phone, external_id, origin, "
           "idempotency_key, language, country, wished_channel, ctx, scheduled_at, expires_at) "
           "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::mc.channel, $10, $11, $12) "
           "ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING "
           "RETURNING id",
           table_of(queue));
  Oid insert_types[12] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID,  TEXTOID,        TEXTOID,
                          TEXTOID, TEXTOID, TEXTOID, JSONBOID, TIMESTAMPTZOID, TIMESTAMPTZOID};
  SPIPlanPtr insert = SPI_prepare(sql, 12, insert_types);
  if (!insert) elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
  snprintf(sql, sizeof sql, "SELECT id FROM mc.%s WHERE idempotency_key = $1", table_of(queue));
  Oid lookup_types[1] = {TEXTOID};
  SPIPlanPtr lookup = SPI_prepare(sql, 1, lookup_types);
  if (!lookup) elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
  SPI_keepplan(insert);
  SPI_keepplan(lookup);
  plans->insert = insert;
  plans->lookup = lookup;
  plans->relid = relid;
}

bool first_id(int64* id) {
  if (SPI_processed != 1) return false;
  bool isnull;
  *id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
  return !isnull;
}

// The SPI path: INSERT ... ON CONFLICT DO NOTHING, then the first event's id by its key.
// Race-free: the unique index decides which push is first; the second one waits for the
// first one's transaction and then finds its row.
void insert_spi_unsafe(Queue queue, const TableInfo* info, const EventRecord* records,
                       const int* which, int count, int64* ids) {
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  SpiPlans* plans = &spi_plans[static_cast<int>(queue)];
  prepare_plans_unsafe(queue, info->relid, plans);
  for (int k = 0; k < count; ++k) {
    const EventRecord& r = records[which[k]];
    Datum values[12];
    char nulls[12];
    std::memset(nulls, 'n', sizeof nulls);
    for (int t = 0; t < kTextFieldCount; ++t)
      if (r.text[t].present) {
        values[t] = text_datum(r.text[t]);
        nulls[t] = ' ';
      }
    std::string_view channel = core::channel_name(static_cast<core::Channel>(r.channel));
    values[8] = PointerGetDatum(cstring_to_text_with_len(channel.data(), channel.size()));
    nulls[8] = ' ';
    values[9] = ctx_datum(r);
    nulls[9] = ' ';
    if (r.has_scheduled_at) {
      values[10] = TimestampTzGetDatum(r.scheduled_at);
      nulls[10] = ' ';
    }
    if (r.has_expires_at) {
      values[11] = TimestampTzGetDatum(r.expires_at);
      nulls[11] = ' ';
    }
    int64 id = 0;
    bool found = false;
    // Twice at most: the first event may be purged between the conflict and the lookup.
    for (int attempt = 0; attempt < 2 && !found; ++attempt) {
      int rc = SPI_execute_plan(plans->insert, values, nulls, false, 0);
      if (rc != SPI_OK_INSERT_RETURNING)
        elog(ERROR, "event insert failed: %s", SPI_result_code_string(rc));
      found = first_id(&id);
      if (!found && r.text[kIdempotencyKey].present) {
        // Not read-only: a fresh snapshot sees the first event whether this same call
        // inserted it (a key repeated in one batch) or another transaction committed it.
        rc = SPI_execute_plan(plans->lookup, &values[kIdempotencyKey], nullptr, false, 1);
        if (rc != SPI_OK_SELECT)
          elog(ERROR, "idempotency lookup failed: %s", SPI_result_code_string(rc));
        found = first_id(&id);
      }
    }
    if (!found) elog(ERROR, "event with idempotency key could be neither inserted nor found");
    ids[which[k]] = id;
  }
  SPI_finish();
}

}  // namespace

void write_events(Queue queue, const EventRecord* records, int count, int64* ids) {
  if (count == 0) return;
  TableInfo info;
  pg::call([&] { table_info_unsafe(queue, &info); });
  std::vector<int> direct, keyed;
  for (int i = 0; i < count; ++i)
    (info.direct && !records[i].text[kIdempotencyKey].present ? direct : keyed).push_back(i);
  if (!direct.empty()) {
    const int* which = direct.data();
    int n = static_cast<int>(direct.size());
    pg::call([&] { insert_direct_unsafe(&info, records, which, n, ids); });
  }
  if (!keyed.empty()) {
    const int* which = keyed.data();
    int n = static_cast<int>(keyed.size());
    pg::call([&] { insert_spi_unsafe(queue, &info, records, which, n, ids); });
  }
}

void register_table_invalidation() {
  // Cannot error: appends to a fixed-size array PostgreSQL sized for loaded libraries.
  CacheRegisterRelcacheCallback(on_relcache_invalidation, 0);
}

}  // namespace mc::intake
