// What every route needs: configuration, the connection pool and the metrics.
#pragma once

#include <httplib.h>

#include <string>

#include "gateway/config.hpp"
#include "gateway/db_session.hpp"
#include "gateway/metrics.hpp"
#include "gateway/pg_pool.hpp"
#include "gateway/push_lanes.hpp"
#include "gateway/router.hpp"
#include "gateway/token_cache.hpp"

namespace mcgw {

struct Context {
  Config config;
  Pool* pool;
  Metrics* metrics;
  TokenCache* tokens;  // may be null: every token looked up
  PushLanes* lanes;    // single-event pushes of remembered tokens (group commit); may be null:
                       // then, and for tokens not remembered, push_alone (push_alone.hpp)
  DbLimits limits() const { return {config.statement_timeout_ms, config.pool_wait_ms}; }
};

// The API token of a request outside SOAP: Authorization: Bearer, then X-Session-Token, then
// the __sessiontoken cookie (what the SDK sends on mcPing).
std::string request_token(const httplib::Request& req);

void add_soap_routes(Router& server, Context& ctx);
void add_health_routes(Router& server, Context& ctx);
void add_json_api_routes(Router& server, Context& ctx);
void add_unsubscribe_routes(Router& server, Context& ctx);
void add_metrics_route(Router& server, Context& ctx);

}  // namespace mcgw
