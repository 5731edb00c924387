// One single-event push the blocking way: mc.push_event as the token's role, in one round trip
// (the token looked up unless the cache remembers it). The path of a token's first request, and
// of a batch the database refused, retried one push at a time (push_lanes.hpp).
#pragma once

#include <functional>
#include <string>

#include "gateway/db_session.hpp"
#include "gateway/pg_pool.hpp"
#include "gateway/token_cache.hpp"

namespace mcgw {

// The statement of one push: mc.push_event($1 event, $2 queue), the event id as text (push
// lanes prepare the same text).
extern const char* const kPushOneSql;

// Pushes one event (the JSON text of an object) into queue ("rt" or "batch") as the token's
// role; returns its id. Throws AuthError and DbError as run_one_as_token would.
std::string push_alone(Pool& pool, const DbLimits& limits, TokenCache* cache,
                       const std::string& token, const std::string& event,
                       const std::string& queue);

// push_alone with its pool and cache bound (replaceable in tests).
using PushOne = std::function<std::string(const DbLimits& limits, const std::string& token,
                                          const std::string& event, const std::string& queue)>;

}  // namespace mcgw
