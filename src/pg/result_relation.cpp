#include "pg/result_relation.hpp"

extern "C" {
#include "catalog/pg_class.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "storage/lockdefs.h"
#include "utils/acl.h"
}

namespace mc::pg {

ResultRelInfo* open_result_relation_unsafe(EState* estate, Oid relid, CmdType cmd,
                                           Bitmapset* updated_cols) {
  RangeTblEntry* rte = makeNode(RangeTblEntry);
  rte->rtekind = RTE_RELATION;
  rte->relid = relid;
  rte->relkind = RELKIND_RELATION;
  rte->rellockmode = RowExclusiveLock;
  AclMode perms = cmd == CMD_UPDATE ? ACL_UPDATE : ACL_INSERT;
  // The privileges the command needs, as the executor records them. PostgreSQL 16 moved them out
  // of the range-table entry into a list of RTEPermissionInfo the entry points into (1-based),
  // and ExecInitRangeTable takes that list; 18 added the range-table indexes left unpruned.
#if PG_VERSION_NUM >= 160000
  RTEPermissionInfo* perminfo = makeNode(RTEPermissionInfo);
  perminfo->relid = relid;
  perminfo->inh = false;
  perminfo->requiredPerms = perms;
  perminfo->updatedCols = updated_cols;
  rte->perminfoindex = 1;
#if PG_VERSION_NUM >= 180000
  ExecInitRangeTable(estate, list_make1(rte), list_make1(perminfo), bms_make_singleton(1));
#else
  ExecInitRangeTable(estate, list_make1(rte), list_make1(perminfo));
#endif
#else
  rte->requiredPerms = perms;
  rte->updatedCols = updated_cols;
  ExecInitRangeTable(estate, list_make1(rte));
#endif
  ResultRelInfo* rri = makeNode(ResultRelInfo);
  ExecInitResultRelation(estate, rri, 1);
#if PG_VERSION_NUM >= 170000
  CheckValidResultRel(rri, cmd, NIL);  // 17 added the MERGE actions to check (none)
#else
  CheckValidResultRel(rri, cmd);
#endif
  ExecOpenIndices(rri, false);
  return rri;
}

}  // namespace mc::pg
