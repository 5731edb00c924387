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

class Router {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  void Get(const std::string& pattern, Handler handler);
  void Post(const std::string& pattern, Handler handler);
  // Runs the first route whose method and pattern match req (HEAD runs GET's; req.matches set).
  // False when none does.
  bool dispatch(httplib::Request& req, httplib::Response& res) const;

 private:
  struct Route {
    std::string method;
    std::regex pattern;
    Handler handler;
  };
  std::vector<Route> routes_;
};

// The Request of a parsed one: path percent-decoded, query parameters, fields, body (moved).
httplib::Request to_httplib(HttpRequest& in, const std::string& remote_addr, int remote_port);

}  // namespace mcgw
