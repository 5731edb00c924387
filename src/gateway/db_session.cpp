#include "gateway/db_session.hpp"

#include <chrono>

#include "gateway/db_error.hpp"

namespace mcgw {
namespace {

std::string field(const PGresult* r, int code) {
  const char* v = PQresultErrorField(r, code);
  return v ? v : "";
}

DbError error_of(PGconn* conn, const PGresult* r) {
  std::string state = r ? field(r, PG_DIAG_SQLSTATE) : "";
  std::string message = r ? field(r, PG_DIAG_MESSAGE_PRIMARY) : "";
  if (state.empty()) state = PQstatus(conn) == CONNECTION_OK ? "XX000" : "08006";
  if (message.empty()) {
    message = PQerrorMessage(conn);
    while (!message.empty() && message.back() == '\n') message.pop_back();
  }
  return DbError(state, message, r ? field(r, PG_DIAG_MESSAGE_DETAIL) : "");
}

// Leaves the connection idle whatever happened; a connection that cannot be rolled back is
// dropped by the pool (its transaction status is not idle).
void rollback(PGconn* conn) {
  if (PQtransactionStatus(conn) != PQTRANS_IDLE) PQclear(PQexec(conn, "ROLLBACK"));
}

void in_transaction(Pool& pool, const DbLimits& limits, const std::function<void(Tx&)>& work) {
  for (int attempt = 0;; ++attempt) {
    Pool::Lease lease = pool.acquire(std::chrono::milliseconds(limits.pool_wait_ms));
    Tx tx(lease.get());
    try {
      tx.exec("BEGIN");
    } catch (const DbError&) {
      // A pooled connection that the server closed while it was idle (a restart, an idle
      // timeout) fails on its first statement. Nothing has run yet, so one retry on a fresh
      // connection is safe; its idle siblings are most likely stale too.
      if (attempt == 0 && PQstatus(lease.get()) != CONNECTION_OK) {
        pool.drop_idle();
        continue;
      }
      throw;
    }
    try {
      // A value, not an identifier: set_config binds it as a parameter.
      tx.exec("SELECT pg_catalog.set_config('statement_timeout', $1, true)",
              {std::to_string(limits.statement_timeout_ms)});
      work(tx);
      tx.exec("COMMIT");
    } catch (...) {
      rollback(lease.get());
      throw;
    }
    return;
  }
}

}  // namespace

Result Tx::exec(const std::string& sql, const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  Result r(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                        nullptr, nullptr, 0));
  ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) throw error_of(conn_, r.get());
  return r;
}

void run_as_token(Pool& pool, const DbLimits& limits, const std::string& token,
                  const std::function<void(Tx&)>& work) {
  if (token.empty()) throw AuthError("no API token");
  in_transaction(pool, limits, [&](Tx& tx) {
    Result role = tx.exec("SELECT mc.api_token_role($1)", {token});
    if (PQntuples(role.get()) != 1 || PQgetisnull(role.get(), 0, 0))
      throw AuthError("unknown or revoked API token");
    // SET ROLE takes no parameters: the name is quoted as an identifier by libpq.
    std::string name = PQgetvalue(role.get(), 0, 0);
    char* quoted = PQescapeIdentifier(tx.conn(), name.c_str(), name.size());
    if (!quoted) throw DbError("XX000", "cannot quote a role name", "");
    std::string set_role = std::string("SET LOCAL ROLE ") + quoted;
    PQfreemem(quoted);
    tx.exec(set_role);
    work(tx);
  });
}

void run_as_gateway(Pool& pool, const DbLimits& limits, const std::function<void(Tx&)>& work) {
  in_transaction(pool, limits, work);
}

}  // namespace mcgw
