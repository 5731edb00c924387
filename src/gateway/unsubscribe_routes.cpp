// RFC 8058 one-click unsubscribe: POST /u/{token} with List-Unsubscribe=One-Click. No API
// token: the link itself is the credential, checked by mc.unsubscribe (HMAC, SECURITY
// DEFINER) as the gateway's own login (role mc_gateway). GET only shows a confirmation form,
// because mail scanners follow GET links.
#include "gateway/context.hpp"
#include "gateway/db_error.hpp"
#include "gateway/problem.hpp"
#include "gateway/soap_response.hpp"

namespace mcgw {
namespace {

void unsubscribe(Context& ctx, const httplib::Request& req, httplib::Response& res) {
  // The body is form-encoded or multipart (RFC 8058 §3.1); both carry this text.
  if (req.body.find("List-Unsubscribe=One-Click") == std::string::npos)
    return send_problem(
        res, {400, "the body must be List-Unsubscribe=One-Click", "", std::nullopt, std::nullopt});
  bool done = false;
  try {
    run_as_gateway(*ctx.pool, ctx.limits(), [&](Tx& tx) {
      Result r = tx.exec("SELECT mc.unsubscribe($1)", {req.matches[1].str()});
      done = std::string(PQgetvalue(r.get(), 0, 0)) == "t";
    });
  } catch (const DbError& e) {
    return send_problem(res, problem_of(e));
  }
  if (!done)
    return send_problem(
        res, {403, "this unsubscribe link is not valid", "", std::nullopt, std::nullopt});
  res.set_content("You are unsubscribed.\n", "text/plain; charset=utf-8");
}

void confirm_page(const httplib::Request& req, httplib::Response& res) {
  std::string action = "/u/" + xml_escape(req.matches[1].str());
  res.set_content("<!DOCTYPE html><html><body><form method=\"post\" action=\"" + action +
                      "\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">"
                      "<button>Unsubscribe</button></form></body></html>",
                  "text/html; charset=utf-8");
}

}  // namespace

void add_unsubscribe_routes(Router& server, Context& ctx) {
  server.Post(
      R"(/+u/([0-9A-Za-z._-]{1,200}))",
      [&ctx](const httplib::Request& req, httplib::Response& res) { unsubscribe(ctx, req, res); });
  server.Get(R"(/+u/([0-9A-Za-z._-]{1,200}))", confirm_page);
}

}  // namespace mcgw
