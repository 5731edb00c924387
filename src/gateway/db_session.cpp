#include "gateway/db_session.hpp"

#include <poll.h>

#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <libpq-events.h>

#include "gateway/db_error.hpp"

namespace mcgw {
namespace {

std::string field(const PGresult* r, int code) {
  const char* v = PQresultErrorField(r, code);
  return v ? v : "";
}

}  // namespace

DbError error_of(PGconn* conn, const PGresult* r) {
  std::string state = r ? field(r, PG_DIAG_SQLSTATE) : "";
  std::string message = r ? field(r, PG_DIAG_MESSAGE_PRIMARY) : "";
  if (state.empty()) state = conn && PQstatus(conn) == CONNECTION_OK ? "XX000" : "08006";
  if (message.empty()) {
    message = conn ? PQerrorMessage(conn) : "no connection";
    while (!message.empty() && message.back() == '\n') message.pop_back();
  }
  return DbError(state, message, r ? field(r, PG_DIAG_MESSAGE_DETAIL) : "");
}

namespace {

// Leaves the connection idle whatever happened; a connection that cannot be rolled back is
// dropped by the pool (its transaction status is not idle).
void rollback(PGconn* conn) {
  if (PQpipelineStatus(conn) != PQ_PIPELINE_OFF) return;  // broken mid-pipeline: dropped
  if (PQtransactionStatus(conn) != PQTRANS_IDLE) PQclear(PQexec(conn, "ROLLBACK"));
}

struct Statement {
  const char* sql;
  Params params;
};

// The statements a connection has prepared (text -> name), kept with the PGconn itself as
// libpq instance data, so that it goes when the connection goes (PGEVT_CONNDESTROY).
struct Prepared {
  std::unordered_map<std::string, std::string> names;
  unsigned long next = 0;  // never reused on a connection, whatever became of a Parse
};

int prepared_events(PGEventId id, void* info, void*) {
  if (id == PGEVT_CONNDESTROY) {
    auto* e = static_cast<PGEventConnDestroy*>(info);
    delete static_cast<Prepared*>(PQinstanceData(e->conn, prepared_events));
  }
  return 1;
}

Prepared& prepared_of(PGconn* conn) {
  auto* p = static_cast<Prepared*>(PQinstanceData(conn, prepared_events));
  if (p) return *p;
  if (!PQregisterEventProc(conn, prepared_events, "mcgw prepared statements", nullptr))
    throw DbError("XX000", "cannot register a libpq event procedure", "");
  p = new Prepared();
  PQsetInstanceData(conn, prepared_events, p);
  return *p;
}

// Sends the statements as one pipelined exchange (one round trip: libpq pipeline mode, one
// Sync at the end) and returns their results in order. Each statement is prepared on its
// connection the first time it is sent there, in the same exchange, and only executed after
// that: the server parses and plans it once per connection (pgbench -M prepared does the
// same). If one fails, those after it do not run (PostgreSQL skips them up to the Sync) and
// DbError is thrown with *failed its index. A connection that broke is left in pipeline
// mode, so the pool drops it.
std::vector<Result> pipeline(PGconn* conn, const std::vector<Statement>& statements,
                             std::size_t* failed) {
  *failed = 0;
  Prepared& prepared = prepared_of(conn);
  if (!PQenterPipelineMode(conn)) throw error_of(conn, nullptr);
  std::vector<const char*> values;
  std::vector<std::string> preparing(statements.size());  // the name, when sent a Parse
  for (std::size_t i = 0; i < statements.size(); ++i) {
    const Statement& s = statements[i];
    values.clear();
    for (const auto& p : s.params) values.push_back(p ? p->c_str() : nullptr);
    auto known = prepared.names.find(s.sql);
    std::string name;
    if (known != prepared.names.end()) {
      name = known->second;
    } else {
      name = "mcgw_" + std::to_string(prepared.next++);
      if (!PQsendPrepare(conn, name.c_str(), s.sql, static_cast<int>(values.size()), nullptr))
        throw error_of(conn, nullptr);
      preparing[i] = name;
    }
    if (!PQsendQueryPrepared(conn, name.c_str(), static_cast<int>(values.size()), values.data(),
                             nullptr, nullptr, 0))
      throw error_of(conn, nullptr);
  }
  if (!PQpipelineSync(conn)) throw error_of(conn, nullptr);
  std::vector<Result> results;
  std::optional<DbError> error;
  // One result (then a null one) per Parse and per execution, in the order sent.
  auto next = [&](std::size_t i) {
    Result r(PQgetResult(conn));
    if (!r) throw error_of(conn, nullptr);
    ExecStatusType st = PQresultStatus(r.get());
    if (st == PGRES_FATAL_ERROR && PQstatus(conn) != CONNECTION_OK) throw error_of(conn, r.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_PIPELINE_ABORTED && !error) {
      error = error_of(conn, r.get());
      *failed = i;
    }
    Result end(PQgetResult(conn));
    if (end) throw DbError("XX000", "unexpected result in a pipeline", "");
    return r;
  };
  for (std::size_t i = 0; i < statements.size(); ++i) {
    if (!preparing[i].empty()) {
      Result p = next(i);
      if (PQresultStatus(p.get()) == PGRES_COMMAND_OK)
        prepared.names[statements[i].sql] = preparing[i];
    }
    results.push_back(next(i));
  }
  Result sync(PQgetResult(conn));
  if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC || !PQexitPipelineMode(conn))
    throw error_of(conn, sync.get());
  if (error) throw *error;
  return results;
}

// The token's role, set for the transaction: set_config('role', r, true) is what SET LOCAL
// ROLE r does (the same membership check; the name is a value, never parsed as SQL), and it
// returns the name set. Unknown to the cache, the token is looked up (mc.api_token_role); an
// unknown token gives '' as the role name, which PostgreSQL refuses (22023, no such role), so
// the exchange stops there and nothing runs as the gateway's own login. Known to the cache, the
// remembered role is set directly. (statement_timeout is set once per connection: pg_pool.)
const char* const kSetRoleLookup =
    "SELECT pg_catalog.set_config('role', coalesce(mc.api_token_role($1), ''), true)";
const char* const kSetRoleCached = "SELECT pg_catalog.set_config('role', $1, true)";

struct RoleStep {
  Statement statement;
  bool cached = false;
  unsigned long epoch = 0;
};

RoleStep role_step(TokenCache* cache, const std::string& token, bool allow_cached) {
  RoleStep step{{kSetRoleLookup, {token}}, false, cache ? cache->epoch() : 0};
  if (cache && allow_cached) {
    if (std::optional<std::string> role = cache->find(token)) {
      step.statement = {kSetRoleCached, {*role}};
      step.cached = true;
    }
  }
  return step;
}

// After the role step ran: remember what a lookup found (set_config returns the role it set).
void remember_looked_up_role(TokenCache* cache, const std::string& token, const RoleStep& step,
                             const PGresult* r) {
  if (cache && !step.cached && r && PQntuples(r) == 1)
    cache->put(token, PQgetvalue(r, 0, 0), step.epoch);
}

// A remembered role that could not be set (dropped, or no longer one of the login's roles):
// the entry is forgotten and the caller looks the token up again, which decides.
bool stale_cached_role(TokenCache* cache, const std::string& token, const RoleStep& step,
                       const DbError& e) {
  if (!cache || !step.cached || (e.sqlstate != "22023" && e.sqlstate != "42501")) return false;
  cache->forget(token);
  return true;
}

void in_transaction(Pool& pool, const DbLimits& limits, const std::string* token, TokenCache* cache,
                    const std::function<void(Tx&)>& work) {
  bool allow_cached = true;
  for (int attempt = 0;; ++attempt) {
    std::vector<Statement> begin{{"BEGIN", {}}};
    RoleStep step;
    if (token) {
      step = role_step(cache, *token, allow_cached);
      begin.push_back(step.statement);
    }
    Pool::Lease lease = pool.acquire(std::chrono::milliseconds(limits.pool_wait_ms));
    Tx tx(lease.get());
    std::size_t failed = 0;
    try {
      std::vector<Result> r = pipeline(lease.get(), begin, &failed);
      if (token) remember_looked_up_role(cache, *token, step, r[1].get());
    } catch (const DbError& e) {
      // A pooled connection that the server closed while it was idle (a restart, an idle
      // timeout) fails on its first exchange. Nothing has run, so one retry on a fresh
      // connection is safe; its idle siblings are most likely stale too.
      if (attempt == 0 && PQstatus(lease.get()) != CONNECTION_OK) {
        pool.drop_idle();
        continue;
      }
      rollback(lease.get());
      if (token && failed == 1 && allow_cached && stale_cached_role(cache, *token, step, e)) {
        allow_cached = false;
        continue;
      }
      if (token && failed == 1 && !step.cached && e.sqlstate == "22023")
        throw AuthError("unknown or revoked API token");
      throw;
    }
    try {
      work(tx);
      tx.exec("COMMIT");
    } catch (...) {
      rollback(lease.get());
      throw;
    }
    return;
  }
}

// True when an idle connection has anything to read: the server closed it (a restart, an
// idle timeout: a FATAL message, then EOF) or sent something unasked. Such a connection is
// not trusted with a statement that commits in its exchange; replacing a live one costs a
// reconnection, nothing else.
bool suspect(PGconn* conn) {
  pollfd p{PQsocket(conn), POLLIN, 0};
  return poll(&p, 1, 0) != 0;
}

// The role step and one statement in one pipelined exchange on a pooled connection (see
// run_one_as_token). On DbError, *failed is the index of the step that failed (0: the role,
// 1: the statement) and *in_doubt tells that the connection broke: the exchange may then have
// committed.
Result exchange_one(Pool& pool, const DbLimits& limits, const Statement& role,
                    const std::string& sql, const Params& params, std::size_t* failed,
                    bool* in_doubt, PGresult** role_result) {
  *failed = 0;
  *in_doubt = false;
  for (int attempt = 0;; ++attempt) {
    Pool::Lease lease = pool.acquire(std::chrono::milliseconds(limits.pool_wait_ms));
    // The statement commits in the exchange: a connection found dead after sending could have
    // committed it, so stale ones are recognized before anything is sent (and replaced, with
    // their idle siblings), never retried after.
    if (attempt == 0 && suspect(lease.get())) {
      lease.discard();
      pool.drop_idle();
      continue;
    }
    try {
      // No BEGIN or COMMIT: what the extended protocol runs up to a Sync without BEGIN is one
      // implicit transaction, committed at the Sync (or rolled back, after an error); the
      // role set in it lasts until then.
      std::vector<Result> r = pipeline(lease.get(), {role, {sql.c_str(), params}}, failed);
      if (role_result) *role_result = r[0].release();
      return std::move(r[1]);
    } catch (const DbError&) {
      *in_doubt = PQstatus(lease.get()) != CONNECTION_OK;
      rollback(lease.get());
      throw;
    }
  }
}

}  // namespace

Result run_one_as_token(Pool& pool, const DbLimits& limits, TokenCache* cache,
                        const std::string& token, const std::string& sql, const Params& params) {
  if (token.empty()) throw AuthError("no API token");
  bool allow_cached = true;
  for (;;) {
    RoleStep step = role_step(cache, token, allow_cached);
    std::size_t failed = 0;
    bool in_doubt = false;
    try {
      PGresult* role = nullptr;
      Result r = exchange_one(pool, limits, step.statement, sql, params, &failed, &in_doubt, &role);
      Result role_result(role);
      remember_looked_up_role(cache, token, step, role_result.get());
      return r;
    } catch (const DbError& e) {
      // Nothing after the role step ran: looking the token up again is safe.
      if (failed == 0 && allow_cached && stale_cached_role(cache, token, step, e)) {
        allow_cached = false;
        continue;
      }
      if (failed == 0 && !step.cached && e.sqlstate == "22023")
        throw AuthError("unknown or revoked API token");
      throw;
    }
  }
}

Result run_one_as_role(Pool& pool, const DbLimits& limits, const std::string& role,
                       const std::string& sql, const Params& params, std::size_t* failed,
                       bool* in_doubt) {
  return exchange_one(pool, limits, {kSetRoleCached, {role}}, sql, params, failed, in_doubt,
                      nullptr);
}

Result Tx::exec(const std::string& sql, const Params& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  Result r(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                        nullptr, nullptr, 0));
  ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) throw error_of(conn_, r.get());
  return r;
}

void run_as_token(Pool& pool, const DbLimits& limits, TokenCache* cache, const std::string& token,
                  const std::function<void(Tx&)>& work) {
  if (token.empty()) throw AuthError("no API token");
  in_transaction(pool, limits, &token, cache, work);
}

void run_as_gateway(Pool& pool, const DbLimits& limits, const std::function<void(Tx&)>& work) {
  in_transaction(pool, limits, nullptr, nullptr, work);
}

}  // namespace mcgw
