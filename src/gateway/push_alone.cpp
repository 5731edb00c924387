#include "gateway/push_alone.hpp"

#include "gateway/db_error.hpp"

namespace mcgw {

const char* const kPushOneSql = "SELECT mc.push_event($1::jsonb, $2)::text";

std::string push_alone(Pool& pool, const DbLimits& limits, TokenCache* cache,
                       const std::string& token, const std::string& event,
                       const std::string& queue) {
  if (token.empty()) throw AuthError("no API token");
  Result r = run_one_as_token(pool, limits, cache, token, kPushOneSql, {event, queue});
  if (PQntuples(r.get()) != 1) throw DbError("XX000", "the database returned no event id", "");
  return std::string(PQgetvalue(r.get(), 0, 0));
}

}  // namespace mcgw
