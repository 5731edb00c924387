// The routes of the gateway: a method and a path pattern (std::regex, matched whole, as
// cpp-httplib's server did) to a handler, in the order they were added. The handlers keep
// cpp-httplib's Request and Response types (plain data here: cpp-httplib's server is no longer
// used, http_server.hpp); to_httplib() builds a Request from what the server parsed.
#pragma once

#include <httplib.h>

#include <functional>
#include <regex>
#include <string>
#include <vector>

#include "gateway/http_connection.hpp"

namespace mcgw {

// What a handler needs to answer later (after a push's database result arrives without
// holding a server thread: push_lanes.hpp).
class Deferral {
 public:
  // Answers the request; once, from any thread. The Response is complete (status, fields, body).
  using Finish = std::function<void(httplib::Response&)>;
  explicit Deferral(Finish finish) : finish_(std::move(finish)) {}
  // The handler will answer through the function returned, not through its Response.
  Finish defer() {
    deferred_ = true;
    return finish_;
  }
  // Changed its mind before anything could call the function (it answers now after all).
  void undefer() { deferred_ = false; }
  bool deferred() const { return deferred_; }

 private:
  Finish finish_;
  bool deferred_ = false;
};

class Router {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  using DeferrableHandler =
      std::function<void(const httplib::Request&, httplib::Response&, Deferral&)>;
  void Get(const std::string& pattern, Handler handler);
  void Post(const std::string& pattern, Handler handler);
  void Post(const std::string& pattern, DeferrableHandler handler);
  // Runs the first route whose method and pattern match req (HEAD runs GET's; req.matches set).
  // False when none does.
  bool dispatch(httplib::Request& req, httplib::Response& res, Deferral& deferral) const;

 private:
  struct Route {
    std::string method;
    std::regex pattern;
    DeferrableHandler handler;
  };
  std::vector<Route> routes_;
};

// The Request of a parsed one: path percent-decoded, query parameters, fields, body (moved).
httplib::Request to_httplib(HttpRequest& in, const std::string& remote_addr, int remote_port);

}  // namespace mcgw
