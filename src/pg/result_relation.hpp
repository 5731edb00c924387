// The one result relation a direct write opens, as the executor opens it for an INSERT or an
// UPDATE of a single table: a range-table entry with the privileges the command needs, the
// ResultRelInfo, the executor's validity check, and the table's indexes. Shared by the intake's
// COPY-like insert, processing's delivery-log insert and its event update, so that the
// PostgreSQL-version differences below live in one place. Runs inside pg::call.
#pragma once

#include "pg/postgres.hpp"

extern "C" {
#include "nodes/execnodes.h"
}

namespace mc::pg {

// `cmd` is CMD_INSERT or CMD_UPDATE; `updated_cols` (UPDATE only, else nullptr) are the updated
// columns as the executor records them (attribute numbers offset by
// FirstLowInvalidHeapAttributeNumber): the index AM reads them as the hint that an index's key
// did not change. The caller ends with ExecCloseIndices and FreeExecutorState(estate).
ResultRelInfo* open_result_relation_unsafe(EState* estate, Oid relid, CmdType cmd,
                                           Bitmapset* updated_cols);

}  // namespace mc::pg
