// GET /nl/jsp/mcPing.jsp (the original's health page, read by the SDK's mcPing()) and
// GET /r/test (the redirection server's test page, anonymous, read by the SDK's test()).
#include <unistd.h>

#include <chrono>
#include <ctime>

#include "gateway/context.hpp"
#include "gateway/db_error.hpp"
#include "gateway/soap_response.hpp"
#include "gateway/version.hpp"

namespace mcgw {
namespace {

constexpr const char* kText = "text/plain; charset=utf-8";

std::string utc_now() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}

// Ok/Error of the real-time queue, as the original: the SDK parses only 2xx answers, so an
// Error stays on 200; a refused token is 401 and a role that may not read the view 403.
void ping(Context& ctx, const httplib::Request& req, httplib::Response& res) {
  try {
    std::string pending, threshold, health;
    run_as_token(*ctx.pool, ctx.limits(), ctx.tokens, request_token(req), [&](Tx& tx) {
      Result r = tx.exec(
          "SELECT pending::text, threshold::text, health FROM mc.queue_health WHERE queue = 'rt'");
      if (PQntuples(r.get()) != 1) throw DbError("XX000", "mc.queue_health has no rt row", "");
      pending = PQgetvalue(r.get(), 0, 0);
      threshold = PQgetvalue(r.get(), 0, 1);
      health = PQgetvalue(r.get(), 0, 2);
    });
    if (health == "Ok")
      res.set_content("Ok\n" + utc_now() + "\n" + pending + "/" + threshold + " pending events",
                      kText);
    else
      res.set_content("Error\nreal-time queue over threshold (" + pending + "/" + threshold + ")",
                      kText);
  } catch (const AuthError& e) {
    res.status = 401;
    res.set_content(std::string("Error\n") + e.what(), kText);
  } catch (const DbError& e) {
    if (e.sqlstate == "42501") res.status = 403;
    res.set_content("Error\n" + e.message, kText);
  }
}

void redir_test(const httplib::Request& req, httplib::Response& res) {
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  res.set_content(
      "<redir status=\"OK\" date=\"" + utc_now() + "\" build=\"" + xml_escape(kVersion) +
          "\" instance=\"mc-gateway\" sourceIP=\"" + xml_escape(req.remote_addr) + "\" host=\"" +
          xml_escape(req.get_header_value("Host")) + "\" localHost=\"" + xml_escape(host) + "\"/>",
      "text/xml; charset=utf-8");
}

}  // namespace

void add_health_routes(Router& server, Context& ctx) {
  server.Get(R"(/+nl/jsp/mcPing\.jsp)",
             [&ctx](const httplib::Request& req, httplib::Response& res) { ping(ctx, req, res); });
  server.Get(R"(/+r/test)", redir_test);
}

}  // namespace mcgw
