// One request's database work: a transaction on a pooled connection, run as the role the
// request's API token maps to (SET LOCAL ROLE), so PostgreSQL's privileges decide everything.
#pragma once

#include <libpq-fe.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/db_error.hpp"
#include "gateway/pg_pool.hpp"
#include "gateway/token_cache.hpp"

namespace mcgw {

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

using Params = std::vector<std::optional<std::string>>;

class Tx {
 public:
  explicit Tx(PGconn* conn) : conn_(conn) {}
  // Runs one statement, every value a bound parameter (NULL for nullopt); throws DbError.
  Result exec(const std::string& sql, const Params& params = {});
  PGconn* conn() const { return conn_; }

 private:
  PGconn* conn_;
};

struct DbLimits {
  int statement_timeout_ms;
  int pool_wait_ms;
};

// The error of a failed libpq call or result (r may be null; conn may be null): its SQLSTATE,
// primary message and detail; 08006 for a broken connection without a SQLSTATE.
DbError error_of(PGconn* conn, const PGresult* r);

// BEGIN; map the token to its role (mc.api_token_role, or the cache when it knows the token:
// token_cache.hpp) and set it for the transaction (the same as SET LOCAL ROLE), in one round
// trip; work; COMMIT. cache may be null (always look up).
// Throws AuthError for an unknown token (nothing else ran), DbError for database errors
// (the transaction is rolled back).
void run_as_token(Pool& pool, const DbLimits& limits, TokenCache* cache, const std::string& token,
                  const std::function<void(Tx&)>& work);

// The token's role and one statement in one transaction, sent as one pipelined exchange: one
// round trip. An unknown token stops the exchange at the role (nothing after it runs): AuthError.
// Returns the statement's result; throws DbError (nothing was committed, unless the
// connection broke after the COMMIT was sent: the outcome of a lost COMMIT is unknown).
Result run_one_as_token(Pool& pool, const DbLimits& limits, TokenCache* cache,
                        const std::string& token, const std::string& sql, const Params& params);

// The same with a role already known (what the token cache remembered for a request's token,
// token_cache.hpp): set for the transaction, then the statement, in one round trip. Throws
// DbError with *failed the step that failed (0: the role, 1: the statement) and *in_doubt true
// when the connection broke during the exchange (it may have committed).
Result run_one_as_role(Pool& pool, const DbLimits& limits, const std::string& role,
                       const std::string& sql, const Params& params, std::size_t* failed,
                       bool* in_doubt);

// The same without a token, as the gateway's own login (unsubscribe links, metrics).
void run_as_gateway(Pool& pool, const DbLimits& limits, const std::function<void(Tx&)>& work);

}  // namespace mcgw
