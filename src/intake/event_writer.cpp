#include "intake/event_writer.hpp"

#include <cstring>
#include <string>
#include <vector>

#include "core/channel.hpp"
#include "pg/guard.hpp"
#include "pg/result_relation.hpp"
#include "pg/spi_statement.hpp"

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

// The columns of mc.rt_event / mc.batch_event that intake knows (sql/install/03_events.sql),
// found by name when the table is opened: their attribute numbers are cached with the table's
// information and dropped with it on a relcache invalidation. Column is an index into this list,
// never an attribute number.
enum ColumnType { kInt8, kInt4, kTimestampTz, kText, kJsonb, kStatus, kChannel };
enum Column {
  kColId,
  kColStatus,
  kColChannel,
  kColErrorCount,
  kColCreatedAt,
  kColLastModifiedAt,
  kColScheduledAt,
  kColExpiresAt,
  kColProcessRequestedAt,
  kColProcessingAt,
  kColProcessedAt,
  kColTemplateId,
  kColDeliveryId,
  kColEventType,
  kColEmail,
  kColMobilePhone,
  kColExternalId,
  kColOrigin,
  kColIdempotencyKey,
  kColLanguage,
  kColCountry,
  kColLastError,
  kColCtx,
  kColumnCount
};
struct ColumnSpec {
  const char* name;
  ColumnType type;
  bool written;  // intake writes it (on either path): the table must have it
};
constexpr ColumnSpec kColumns[kColumnCount] = {
    {"id", kInt8, true},
    {"status", kStatus, true},
    {"wished_channel", kChannel, true},
    {"error_count", kInt4, true},
    {"created_at", kTimestampTz, true},
    {"last_modified_at", kTimestampTz, true},
    {"scheduled_at", kTimestampTz, true},
    {"expires_at", kTimestampTz, true},
    {"process_requested_at", kTimestampTz, false},
    {"processing_at", kTimestampTz, false},
    {"processed_at", kTimestampTz, false},
    {"template_id", kInt8, false},
    {"delivery_id", kInt8, false},
    {"event_type", kText, true},
    {"email", kText, true},
    {"mobile_phone", kText, true},
    {"external_id", kText, true},
    {"origin", kText, true},
    {"idempotency_key", kText, true},
    {"language", kText, true},
    {"country", kText, true},
    {"last_error", kText, false},
    {"ctx", kJsonb, true},
};

// The column of each text field of an EventRecord.
constexpr Column text_column(int field) {
  switch (field) {
    case kType:
      return kColEventType;
    case kEmail:
      return kColEmail;
    case kMobilePhone:
      return kColMobilePhone;
    case kExternalId:
      return kColExternalId;
    case kOrigin:
      return kColOrigin;
    case kIdempotencyKey:
      return kColIdempotencyKey;
    case kLanguage:
      return kColLanguage;
    case kCountry:
      return kColCountry;
  }
  return kColEventType;
}
constexpr int kChannelCount = 5;

// Tuples per table_multi_insert call, as COPY buffers them.
constexpr int kMaxBufferedTuples = 1000;

struct TableInfo {
  Oid relid;
  AttrNumber attnum[kColumnCount];  // by name; InvalidAttrNumber for a column the table lacks
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
// Relcache invalidations seen so far. A load that saw one arrive while it ran (opening the table
// processes pending invalidations) may have read what the invalidation replaced: its result is
// used once, not cached.
uint64 invalidations_seen = 0;

Oid type_oid_unsafe(const char* name, Oid nsp) {
  Oid oid =
      GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum(name), ObjectIdGetDatum(nsp));
  if (!OidIsValid(oid)) elog(ERROR, "type mc.%s is missing", name);
  return oid;
}

Datum enum_label_unsafe(Oid type, const char* label) {
  return DirectFunctionCall2(enum_in, CStringGetDatum(label), ObjectIdGetDatum(type));
}

Oid expected_type(const TableInfo* info, ColumnType type) {
  switch (type) {
    case kInt8:
      return INT8OID;
    case kInt4:
      return INT4OID;
    case kTimestampTz:
      return TIMESTAMPTZOID;
    case kText:
      return TEXTOID;
    case kJsonb:
      return JSONBOID;
    case kStatus:
      return info->status_type;
    case kChannel:
      return info->channel_type;
  }
  return InvalidOid;
}

// Finds every known column by name; a column intake writes that is missing is an error naming it.
void find_columns_unsafe(Relation rel, Queue queue, TableInfo* info) {
  TupleDesc desc = RelationGetDescr(rel);
  for (int c = 0; c < kColumnCount; ++c) info->attnum[c] = InvalidAttrNumber;
  for (int i = 0; i < desc->natts; ++i) {
    Form_pg_attribute att = TupleDescAttr(desc, i);
    if (att->attisdropped) continue;
    for (int c = 0; c < kColumnCount; ++c)
      if (std::strcmp(NameStr(att->attname), kColumns[c].name) == 0) info->attnum[c] = att->attnum;
  }
  for (int c = 0; c < kColumnCount; ++c)
    if (kColumns[c].written && info->attnum[c] == InvalidAttrNumber)
      ereport(ERROR,
              (errcode(ERRCODE_UNDEFINED_COLUMN),
               errmsg("column \"%s\" of table mc.%s is missing", kColumns[c].name, table_of(queue)),
               errhint("The table is the extension's: ALTER EXTENSION message_center UPDATE "
                       "or re-create the extension.")));
}

// The direct path builds whole tuples itself, so the table must have exactly the extension's
// columns (any order, dropped ones aside), of the extension's types: no column it would leave
// without its default.
bool layout_matches(Relation rel, const TableInfo* info) {
  TupleDesc desc = RelationGetDescr(rel);
  int live = 0;
  for (int i = 0; i < desc->natts; ++i)
    if (!TupleDescAttr(desc, i)->attisdropped) ++live;
  if (live != kColumnCount) return false;
  for (int c = 0; c < kColumnCount; ++c) {
    if (info->attnum[c] == InvalidAttrNumber) return false;
    Form_pg_attribute att = TupleDescAttr(desc, info->attnum[c] - 1);
    if (att->atttypid != expected_type(info, kColumns[c].type)) return false;
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
  find_columns_unsafe(rel, queue, info);
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
  uint64 before = invalidations_seen;
  resolve_table_unsafe(queue, info);
  cached.info = *info;
  cached.valid = invalidations_seen == before;
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
  for (int i = 0; i < slot->tts_tupleDescriptor->natts; ++i) nulls[i] = true;
  auto set = [&](Column column, Datum value) {
    int i = info->attnum[column] - 1;
    values[i] = value;
    nulls[i] = false;
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
    if (r.text[t].present) set(text_column(t), text_datum(r.text[t]));
  set(kColCtx, ctx_datum(r));
  ExecStoreVirtualTuple(slot);
}

// Index entries for a new tuple, as INSERT makes them (no ON CONFLICT arbiters). PostgreSQL 16
// added onlySummarizing (false: a new tuple goes into every index, summarizing or not).
List* insert_index_tuples(ResultRelInfo* rri, TupleTableSlot* slot, EState* estate) {
#if PG_VERSION_NUM >= 190000
// Written for 15 to 18; the development branch after 18 reworks these arguments (flags).
#error "insert_index_tuples: check ExecInsertIndexTuples for this PostgreSQL version"
#elif PG_VERSION_NUM >= 160000
  return ExecInsertIndexTuples(rri, slot, estate, false, false, nullptr, NIL, false);
#else
  return ExecInsertIndexTuples(rri, slot, estate, false, false, nullptr, NIL);
#endif
}

// The privilege an INSERT of these events needs, checked as the executor checks an INSERT that
// names the event's own fields: INSERT on the table, or on every column the push sets (writers
// hold column privileges only: they may not choose an id or a processing state). The id, status
// and timestamps the push fills in are defaults of an INSERT, which need no privilege.
void check_insert_privilege_unsafe(const TableInfo* info, const EventRecord* records,
                                   const int* which, int count) {
  Oid user = GetUserId();
  if (pg_class_aclcheck(info->relid, user, ACL_INSERT) == ACLCHECK_OK) return;
  bool sets[kColumnCount] = {};
  sets[kColEventType] = sets[kColCtx] = true;
  for (int i = 0; i < count; ++i) {
    const EventRecord& r = records[which[i]];
    if (r.channel != static_cast<int>(core::Channel::Email))
      sets[kColChannel] = true;  // else the default
    if (r.has_scheduled_at) sets[kColScheduledAt] = true;
    if (r.has_expires_at) sets[kColExpiresAt] = true;
    for (int t = 0; t < kTextFieldCount; ++t)
      if (r.text[t].present) sets[text_column(t)] = true;
  }
  for (int c = 0; c < kColumnCount; ++c)
    if (sets[c] &&
        pg_attribute_aclcheck(info->relid, info->attnum[c], user, ACL_INSERT) != ACLCHECK_OK)
      aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, get_rel_name(info->relid));
}

// The COPY path: build tuples, check constraints, multi-insert, insert index entries.
void insert_direct_unsafe(const TableInfo* info, const EventRecord* records, const int* which,
                          int count, int64* ids) {
  check_insert_privilege_unsafe(info, records, which, count);

  EState* estate = CreateExecutorState();
  ResultRelInfo* rri = pg::open_result_relation_unsafe(estate, info->relid, CMD_INSERT, nullptr);
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
        list_free(insert_index_tuples(rri, slots[j], estate));
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

// The statements of the SPI path, per queue. The text fields' parameters are named after their
// columns.
pg::Statement make_insert(Queue queue) {
  return pg::Statement(
      std::string("INSERT INTO mc.") + table_of(queue) +
          " (event_type, email, mobile_phone, external_id, origin, idempotency_key, language, "
          "country, wished_channel, ctx, scheduled_at, expires_at) "
          "VALUES ($event_type, $email, $mobile_phone, $external_id, $origin, $idempotency_key, "
          "$language, $country, $wished_channel::mc.channel, $ctx, $scheduled_at, $expires_at) "
          "ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING "
          "RETURNING id",
      {{"event_type", TEXTOID},
       {"email", TEXTOID},
       {"mobile_phone", TEXTOID},
       {"external_id", TEXTOID},
       {"origin", TEXTOID},
       {"idempotency_key", TEXTOID},
       {"language", TEXTOID},
       {"country", TEXTOID},
       {"wished_channel", TEXTOID},
       {"ctx", JSONBOID},
       {"scheduled_at", TIMESTAMPTZOID},
       {"expires_at", TIMESTAMPTZOID}},
      {"id"});
}
pg::Statement make_lookup(Queue queue) {
  return pg::Statement(std::string("SELECT id FROM mc.") + table_of(queue) +
                           " WHERE idempotency_key OPERATOR(pg_catalog.=) $idempotency_key",
                       {{"idempotency_key", TEXTOID}}, {"id"});
}
pg::Statement insert_statements[2] = {make_insert(Queue::Rt), make_insert(Queue::Batch)};
pg::Statement lookup_statements[2] = {make_lookup(Queue::Rt), make_lookup(Queue::Batch)};

// The SPI path's statements with their arguments and parameters, found by name before the
// plain-data loop runs.
struct SpiPath {
  pg::Statement* insert;
  pg::Statement::Args* insert_args;
  pg::Statement* lookup;
  pg::Statement::Args* lookup_args;
  pg::Statement::Param text[kTextFieldCount];
  pg::Statement::Param channel, ctx, scheduled_at, expires_at, lookup_key;
  pg::Statement::Column inserted_id, found_id;
};

void set_optional_unsafe(pg::Statement::Args* args, pg::Statement::Param p, bool present,
                         Datum value) {
  if (present)
    args->set_unsafe(p, value);
  else
    args->set_null_unsafe(p);
}

bool first_id(const pg::Statement* st, pg::Statement::Column id_column, int64* id) {
  if (st->rows() != 1) return false;
  bool isnull;
  *id = DatumGetInt64(st->value_unsafe(0, id_column, &isnull));
  return !isnull;
}

// The SPI path: INSERT ... ON CONFLICT DO NOTHING, then the first event's id by its key.
// Race-free: the unique index decides which push is first; the second one waits for the
// first one's transaction and then finds its row.
void insert_spi_unsafe(const SpiPath* spi, const EventRecord* records, const int* which, int count,
                       int64* ids) {
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  pg::Statement::Args* args = spi->insert_args;
  for (int k = 0; k < count; ++k) {
    const EventRecord& r = records[which[k]];
    Datum key = 0;
    for (int t = 0; t < kTextFieldCount; ++t) {
      Datum value = r.text[t].present ? text_datum(r.text[t]) : 0;
      set_optional_unsafe(args, spi->text[t], r.text[t].present, value);
      if (t == kIdempotencyKey) key = value;
    }
    std::string_view channel = core::channel_name(static_cast<core::Channel>(r.channel));
    args->set_unsafe(spi->channel,
                     PointerGetDatum(cstring_to_text_with_len(channel.data(), channel.size())));
    args->set_unsafe(spi->ctx, ctx_datum(r));
    set_optional_unsafe(args, spi->scheduled_at, r.has_scheduled_at,
                        TimestampTzGetDatum(r.scheduled_at));
    set_optional_unsafe(args, spi->expires_at, r.has_expires_at, TimestampTzGetDatum(r.expires_at));
    int64 id = 0;
    bool found = false;
    // Twice at most: the first event may be purged between the conflict and the lookup.
    for (int attempt = 0; attempt < 2 && !found; ++attempt) {
      spi->insert->run_unsafe(*args, false, 0);
      if (spi->insert->last_rc() != SPI_OK_INSERT_RETURNING)
        elog(ERROR, "event insert failed: %s", SPI_result_code_string(spi->insert->last_rc()));
      found = first_id(spi->insert, spi->inserted_id, &id);
      if (!found && r.text[kIdempotencyKey].present) {
        // Not read-only: a fresh snapshot sees the first event whether this same call
        // inserted it (a key repeated in one batch) or another transaction committed it.
        spi->lookup_args->set_unsafe(spi->lookup_key, key);
        spi->lookup->run_unsafe(*spi->lookup_args, false, 1);
        if (spi->lookup->last_rc() != SPI_OK_SELECT)
          elog(ERROR, "idempotency lookup failed: %s",
               SPI_result_code_string(spi->lookup->last_rc()));
        found = first_id(spi->lookup, spi->found_id, &id);
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
    pg::Statement& insert = insert_statements[static_cast<int>(queue)];
    pg::Statement& lookup = lookup_statements[static_cast<int>(queue)];
    insert.prepare();
    lookup.prepare();
    pg::Statement::Args insert_args(insert), lookup_args(lookup);
    SpiPath spi{&insert, &insert_args, &lookup, &lookup_args};
    for (int t = 0; t < kTextFieldCount; ++t)
      spi.text[t] = insert.param(kColumns[text_column(t)].name);
    spi.channel = insert.param("wished_channel");
    spi.ctx = insert.param("ctx");
    spi.scheduled_at = insert.param("scheduled_at");
    spi.expires_at = insert.param("expires_at");
    spi.lookup_key = lookup.param("idempotency_key");
    spi.inserted_id = insert.column("id");
    spi.found_id = lookup.column("id");
    pg::call([&] { insert_spi_unsafe(&spi, records, which, n, ids); });
  }
}

void on_relcache_invalidation(Oid relid) {
  ++invalidations_seen;
  for (CachedTable& cached : cached_tables)
    if (relid == InvalidOid || relid == cached.info.relid) cached.valid = false;
}

}  // namespace mc::intake
