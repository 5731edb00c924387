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
  Deferral(Finish finish, bool may_block) : finish_(std::move(finish)), may_block_(may_block) {}
  // The handler will answer through the function returned, not through its Response.
  Finish defer() {
    deferred_ = true;
    return finish_;
  }
  // Changed its mind before anything could call the function (it answers now after all).
  void undefer() { deferred_ = false; }
  bool deferred() const { return deferred_; }

  // False on a server's event loop, where nothing may block: a handler that would (a database
  // call other than a push through the lanes) calls to_worker() instead, before it has changed
  // anything, and runs again on a worker thread (worker_pool.hpp) with may_block() true.
  bool may_block() const { return may_block_; }
  void to_worker() { to_worker_ = true; }
  bool wants_worker() const { return to_worker_; }

 private:
  Finish finish_;
  bool may_block_;
  bool deferred_ = false;
  bool to_worker_ = false;
};

class Router {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  using DeferrableHandler =
      std::function<void(const httplib::Request&, httplib::Response&, Deferral&)>;
  // Routes whose handlers may block: run on a worker thread.
  void Get(const std::string& pattern, Handler handler);
  void Post(const std::string& pattern, Handler handler);
  // A route run on the event loop first (its handler defers, answers at once, or asks for a
  // worker: Deferral).
  void PostOnLoop(const std::string& pattern, DeferrableHandler handler);

  struct Route {
    std::string method;
    std::regex pattern;
    DeferrableHandler handler;
    bool on_loop;
  };
  // The first route whose method and pattern match req (HEAD finds GET's), req.matches set
  // (they point into req.path: req must not move after this); null when none does.
  const Route* find(httplib::Request& req) const;

 private:
  std::vector<Route> routes_;
};

// The Request of a parsed one: path percent-decoded, query parameters, fields, body (moved).
httplib::Request to_httplib(HttpRequest& in, const std::string& remote_addr, int remote_port);

}  // namespace mcgw
