// The JSON API: POST /api/v1/events/{rt|batch}, GET /api/v1/events/{id}, and its OpenAPI
// document. Every database call runs as the token's role; refusals are problem+json.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "gateway/context.hpp"
#include "gateway/db_error.hpp"
#include "gateway/json_depth.hpp"
#include "gateway/openapi.hpp"
#include "gateway/problem.hpp"
#include "gateway/push_alone.hpp"

namespace mcgw {
namespace {

using nlohmann::json;

// Idempotency-Key applies to events that carry no key of their own; in an array, event i
// gets "<key>:<i>", so a retried array maps onto the same events.
void apply_idempotency_key(json& body, const std::string& key) {
  if (key.empty()) return;
  if (body.is_object()) {
    if (!body.contains("idempotencyKey")) body["idempotencyKey"] = key;
    return;
  }
  for (std::size_t i = 0; i < body.size(); ++i)
    if (body[i].is_object() && !body[i].contains("idempotencyKey"))
      body[i]["idempotencyKey"] = key + ":" + std::to_string(i);
}

// The answer to a push: 201 with the ids, or the refusal of the error.
void push_answer(httplib::Response& res, const std::vector<std::string>& ids, bool one,
                 const std::exception_ptr& error) {
  if (error) {
    try {
      std::rethrow_exception(error);
    } catch (const AuthError& e) {
      res.set_header("WWW-Authenticate", "Bearer");
      return send_problem(res, {401, e.what(), "", std::nullopt, std::nullopt});
    } catch (const DbError& e) {
      return send_problem(res, problem_of(e));
    }
  }
  res.status = 201;
  if (ids.size() == 1 && one) res.set_header("Location", "/api/v1/events/" + ids[0]);
  res.set_content(json{{"ids", ids}}.dump(), "application/json");
}

// One event (the JSON text of an object): batched with other requests' (push_lanes.hpp), or
// the blocking way (a token not remembered).
void push_one(Context& ctx, const httplib::Request& req, httplib::Response& res, Deferral& later,
              const std::string& queue, const std::string& doc) {
  std::string token = request_token(req);
  if (ctx.lanes) {
    Deferral::Finish finish = later.defer();
    bool taken =
        ctx.lanes->submit(token, doc, queue, [finish](std::string id, std::exception_ptr e) {
          httplib::Response r;
          push_answer(r, {std::move(id)}, true, e);
          finish(r);
        });
    if (taken) return;
    later.undefer();
  }
  if (!later.may_block()) return later.to_worker();
  std::vector<std::string> ids;
  std::exception_ptr error;
  try {
    ids.push_back(push_alone(*ctx.pool, ctx.limits(), ctx.tokens, token, doc, queue));
  } catch (const AuthError&) {
    error = std::current_exception();
  } catch (const DbError&) {
    error = std::current_exception();
  }
  push_answer(res, ids, true, error);
}

void push(Context& ctx, const httplib::Request& req, httplib::Response& res, Deferral& later) {
  std::string queue = req.matches[1];
  if (json_depth(req.body) > kMaxJsonDepth)
    return send_problem(
        res, {400, "the JSON body is nested too deeply", "", std::nullopt, std::nullopt});
  // One object without an Idempotency-Key, the common push: validated (json::accept: the same
  // grammar and UTF-8 checks as parse, without building the document) and sent as received.
  std::string key = req.get_header_value("Idempotency-Key");
  std::size_t first = req.body.find_first_not_of(" \t\r\n");
  if (key.empty() && first != std::string::npos && req.body[first] == '{') {
    if (!json::accept(req.body))
      return send_problem(res, {400, "the body is not valid JSON", "", std::nullopt, std::nullopt});
    return push_one(ctx, req, res, later, queue, req.body);
  }
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded())
    return send_problem(res, {400, "the body is not valid JSON", "", std::nullopt, std::nullopt});
  if (!body.is_object() && !body.is_array())
    return send_problem(res, {400, "the body must be an event object or an array of them", "",
                              std::nullopt, std::nullopt});
  apply_idempotency_key(body, key);
  std::string doc = body.dump(-1, ' ', false, json::error_handler_t::replace);
  if (body.is_object()) return push_one(ctx, req, res, later, queue, doc);
  // One request's array: all or nothing, as before (single events are batched).
  if (!later.may_block()) return later.to_worker();
  std::vector<std::string> ids;
  std::exception_ptr error;
  try {
    Result r = run_one_as_token(*ctx.pool, ctx.limits(), ctx.tokens, request_token(req),
                                "SELECT t.id::text FROM mc.push_events($1::jsonb, $2) "
                                "WITH ORDINALITY AS t (id, n) ORDER BY t.n",
                                {doc, queue});
    for (int i = 0; i < PQntuples(r.get()); ++i) ids.emplace_back(PQgetvalue(r.get(), i, 0));
  } catch (const AuthError&) {
    error = std::current_exception();
  } catch (const DbError&) {
    error = std::current_exception();
  }
  push_answer(res, ids, false, error);
}

// The event as the token's role can read it (mc.event needs mc_status_reader), with its
// delivery outcome when the role may also read mc.delivery_log.
void get_event(Context& ctx, const httplib::Request& req, httplib::Response& res) {
  std::string id = req.matches[1];
  std::string event, delivery;
  try {
    run_as_token(*ctx.pool, ctx.limits(), ctx.tokens, request_token(req), [&](Tx& tx) {
      tx.exec("SELECT pg_catalog.set_config('TimeZone', 'UTC', true)");
      Result e = tx.exec(
          "SELECT json_build_object('id', e.id::text, 'queue', e.queue, 'status', e.status,"
          " 'type', e.event_type, 'channel', e.wished_channel, 'reason', e.last_error,"
          " 'errorCount', e.error_count, 'externalId', e.external_id,"
          " 'createdAt', e.created_at, 'scheduled', e.scheduled_at, 'expiration', e.expires_at,"
          " 'processingAt', e.processing_at, 'processedAt', e.processed_at,"
          " 'lastModifiedAt', e.last_modified_at)::text"
          " FROM mc.event e WHERE e.id = $1::bigint",
          {id});
      if (PQntuples(e.get()) == 0) return;
      event = PQgetvalue(e.get(), 0, 0);
      Result may = tx.exec("SELECT pg_catalog.has_table_privilege('mc.delivery_log', 'SELECT')");
      if (std::string(PQgetvalue(may.get(), 0, 0)) != "t") return;
      Result d = tx.exec(
          "SELECT json_build_object('status', l.status, 'channel', l.channel,"
          " 'failureReason', l.failure_reason, 'attempts', l.attempts,"
          " 'lastModifiedAt', l.last_modified_at)::text"
          " FROM mc.delivery_log l WHERE l.event_id = $1::bigint",
          {id});
      if (PQntuples(d.get()) == 1) delivery = PQgetvalue(d.get(), 0, 0);
    });
  } catch (const AuthError& e) {
    res.set_header("WWW-Authenticate", "Bearer");
    return send_problem(res, {401, e.what(), "", std::nullopt, std::nullopt});
  } catch (const DbError& e) {
    // An id out of bigint's range (22003) names no event.
    if (e.sqlstate == "22003")
      return send_problem(res, {404, "no event with id " + id, "", std::nullopt, std::nullopt});
    return send_problem(res, problem_of(e));
  }
  if (event.empty())
    return send_problem(res, {404, "no event with id " + id + " that this token may read", "",
                              std::nullopt, std::nullopt});
  json out = json::parse(event);
  out["delivery"] = delivery.empty() ? json(nullptr) : json::parse(delivery);
  res.set_content(out.dump(), "application/json");
}

}  // namespace

void add_json_api_routes(Router& server, Context& ctx) {
  server.PostOnLoop(R"(/+api/v1/events/(rt|batch))",
                    [&ctx](const httplib::Request& req, httplib::Response& res, Deferral& later) {
                      push(ctx, req, res, later);
                    });
  server.Get(
      R"(/+api/v1/events/([0-9]{1,19}))",
      [&ctx](const httplib::Request& req, httplib::Response& res) { get_event(ctx, req, res); });
  server.Get(R"(/+api/v1/openapi\.json)", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kOpenApiJson, "application/json");
  });
}

}  // namespace mcgw
