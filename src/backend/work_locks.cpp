#include "backend/work_locks.hpp"

#include "pg/guard.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "storage/lmgr.h"
}

namespace mc::backend {
namespace {

// Schema mc's oid: a syscache lookup (the schema is the extension's; if it was dropped, the
// functions calling this are gone too).
Oid mc_schema_unsafe() { return get_namespace_oid("mc", false); }

// Sub-id 0 is PostgreSQL's own (a lock on the schema itself): keys start at 1.
uint16 subid(std::int32_t key) { return static_cast<uint16>(key + 1); }

}  // namespace

bool try_lock_work(std::int32_t key) {
  return pg::call([&] {
    return ConditionalLockDatabaseObject(NamespaceRelationId, mc_schema_unsafe(), subid(key),
                                         ExclusiveLock);
  });
}

void lock_work(std::int32_t key) {
  pg::call([&] {
    LockDatabaseObject(NamespaceRelationId, mc_schema_unsafe(), subid(key), ExclusiveLock);
  });
}

}  // namespace mc::backend
