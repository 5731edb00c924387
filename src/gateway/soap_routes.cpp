// POST /nl/jsp/soaprouter.jsp: the original product's SOAP calls (nms:rtEvent / nms:batchEvent
// PushEvent(s), xtk:persist#GetEntityIfMoreRecent for their schemas).
#include <string>
#include <vector>

#include "gateway/context.hpp"
#include "gateway/push_alone.hpp"
#include "gateway/ctx_xml.hpp"
#include "gateway/db_error.hpp"
#include "gateway/soap_request.hpp"
#include "gateway/soap_response.hpp"
#include "gateway/xml_names.hpp"

namespace mcgw {
namespace {

constexpr const char* kSoapType = "text/xml; charset=utf-8";

// The event elements of a PushEvent(s) call. Their names (rtEvent, domEvent, ...) and the
// collection's are ignored: the URN chose the queue (acc-soap-contract.md §1, gateway rule).
std::vector<pugi::xml_node> event_elements(const SoapCall& call, bool many) {
  pugi::xml_node param = call.param(many ? "domEventCollection" : "domEvent", 1);
  if (!param || local_name(param.name()) == "sessiontoken")
    throw SoapClientError("MCG-100003", "missing parameter: the event");
  pugi::xml_node root = first_element(param);
  // A client may put the event's attributes on the parameter itself.
  if (!root && !many && param.attribute("type")) root = param;
  if (!root) throw SoapClientError("MCG-100003", "missing parameter: the event element");
  if (!many) return {root};
  std::vector<pugi::xml_node> events;
  for (pugi::xml_node c : root.children())
    if (c.type() == pugi::node_element) events.push_back(c);
  if (events.empty()) throw SoapClientError("MCG-100003", "the event collection is empty");
  return events;
}

std::string dump(const nlohmann::json& doc) {
  try {
    return doc.dump();
  } catch (const nlohmann::json::type_error&) {
    throw SoapClientError("MCG-100001", "the event is not valid UTF-8");
  }
}

void answer_error(httplib::Response& res, const std::exception_ptr& error);

void push(Context& ctx, const SoapCall& call, const std::string& token, httplib::Response& res,
          Deferral& later) {
  bool many = call.method == "PushEvents";
  std::string queue = call.schema == "nms:rtEvent" ? "rt" : "batch";
  std::vector<pugi::xml_node> elements = event_elements(call, many);
  nlohmann::json docs = nlohmann::json::array();
  for (pugi::xml_node e : elements) docs.push_back(event_document(e));
  if (!many) {  // one event: batched with other requests' (push_lanes.hpp)
    std::string doc = dump(docs[0]);
    if (ctx.lanes) {
      Deferral::Finish finish = later.defer();
      bool taken = ctx.lanes->submit(
          token, doc, queue,
          [finish, schema = call.schema](std::string id, std::exception_ptr error) {
            httplib::Response r;
            if (error)
              answer_error(r, error);
            else
              r.set_content(push_event_response(schema, id), kSoapType);
            finish(r);
          });
      if (taken) return;
      later.undefer();
    }
    if (!later.may_block()) return later.to_worker();
    std::string id = push_alone(*ctx.pool, ctx.limits(), ctx.tokens, token, doc, queue);
    res.set_content(push_event_response(call.schema, id), kSoapType);
    return;
  }
  if (!later.may_block()) return later.to_worker();
  std::vector<std::string> ids;
  Result r = run_one_as_token(*ctx.pool, ctx.limits(), ctx.tokens, token,
                              "SELECT t.id::text FROM mc.push_events($1::jsonb, $2) "
                              "WITH ORDINALITY AS t (id, n) ORDER BY t.n",
                              {dump(docs), queue});
  for (int i = 0; i < PQntuples(r.get()); ++i) ids.emplace_back(PQgetvalue(r.get(), i, 0));
  if (ids.empty()) throw DbError("XX000", "the database returned no event id", "");
  res.set_content(push_events_response(call.schema, ids), kSoapType);
}

void get_entity(Context& ctx, const SoapCall& call, const std::string& token,
                httplib::Response& res) {
  pugi::xml_node pk = call.param("pk", 1);
  std::string key = pk ? direct_text(pk) : "";
  // Authenticated like every SOAP call, but the answer depends on the pk alone.
  run_as_token(*ctx.pool, ctx.limits(), ctx.tokens, token, [](Tx&) {});
  const std::string prefix = "xtk:schema|";
  std::optional<std::string> schema;
  if (key.rfind(prefix, 0) == 0) schema = key.substr(prefix.size());
  res.set_content(entity_response(schema), kSoapType);
}

// Refusals by the database: the caller's fault (SOAP-ENV:Client) for data and privilege
// errors, the server's otherwise. HTTP 500 as the original (acc-soap-contract.md §4).
Fault fault_of(const DbError& e) {
  std::string cls = e.sqlstate.substr(0, 2);
  bool client = cls == "22" || cls == "23" || cls == "42" || cls == "54" || cls == "28";
  Fault f;
  f.faultcode = client ? "SOAP-ENV:Client" : "SOAP-ENV:Server";
  f.error_code = client ? "MCG-200001" : "MCG-200002";
  f.message = "[" + e.sqlstate + "] " + e.message;
  f.detail =
      "SQLSTATE " + e.sqlstate + ": " + e.message + (e.detail.empty() ? "" : ". " + e.detail);
  return f;
}

// The fault of an error thrown by a call: the client's (SOAP-ENV:Client) for bad input and
// refused tokens, else by the database's SQLSTATE.
void answer_error(httplib::Response& res, const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const SoapClientError& e) {
    res.status = 500;
    res.set_content(fault_response({"SOAP-ENV:Client", e.code, e.what(), e.what()}), kSoapType);
  } catch (const AuthError& e) {
    // XSV-350008 makes the SDK report an invalid session (SDK-000012), and only that.
    res.status = 401;
    res.set_content(fault_response({"SOAP-ENV:Client", "XSV-350008",
                                    "Session token is invalid or expired", e.what()}),
                    kSoapType);
  } catch (const DbError& e) {
    res.status = 500;
    res.set_content(fault_response(fault_of(e)), kSoapType);
  }
}

void handle(Context& ctx, const httplib::Request& req, httplib::Response& res, Deferral& later) {
  std::string action = req.get_header_value("SoapAction");
  if (action.empty()) action = req.get_param_value("soapAction");
  try {
    SoapCall call = parse_soap(req.body, action);
    std::string token = call.session_token;
    if (token.empty()) token = request_token(req);
    if (call.schema == "xtk:persist" && call.method == "GetEntityIfMoreRecent") {
      if (!later.may_block()) return later.to_worker();
      get_entity(ctx, call, token, res);
    } else if ((call.schema == "nms:rtEvent" || call.schema == "nms:batchEvent") &&
               (call.method == "PushEvent" || call.method == "PushEvents")) {
      push(ctx, call, token, res, later);
    } else {
      throw SoapClientError("MCG-100002",
                            "unknown method '" + call.schema + "#" + call.method + "'");
    }
  } catch (const SoapClientError&) {
    answer_error(res, std::current_exception());
  } catch (const AuthError&) {
    answer_error(res, std::current_exception());
  } catch (const DbError&) {
    answer_error(res, std::current_exception());
  }
}

}  // namespace

void add_soap_routes(Router& server, Context& ctx) {
  server.PostOnLoop(R"(/+nl/jsp/soaprouter\.jsp)",
                    [&ctx](const httplib::Request& req, httplib::Response& res, Deferral& later) {
                      handle(ctx, req, res, later);
                    });
}

}  // namespace mcgw
