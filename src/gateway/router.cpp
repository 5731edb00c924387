#include "gateway/router.hpp"

namespace mcgw {

namespace {

Router::DeferrableHandler now(Router::Handler h) {
  return [h = std::move(h)](const httplib::Request& req, httplib::Response& res, Deferral&) {
    h(req, res);
  };
}

}  // namespace

void Router::Get(const std::string& pattern, Handler handler) {
  routes_.push_back({"GET", std::regex(pattern), now(std::move(handler)), false});
}

void Router::Post(const std::string& pattern, Handler handler) {
  routes_.push_back({"POST", std::regex(pattern), now(std::move(handler)), false});
}

void Router::PostOnLoop(const std::string& pattern, DeferrableHandler handler) {
  routes_.push_back({"POST", std::regex(pattern), std::move(handler), true});
}

const Router::Route* Router::find(httplib::Request& req) const {
  const std::string& method = req.method == "HEAD" ? std::string("GET") : req.method;
  for (const Route& r : routes_) {
    if (r.method != method) continue;
    if (std::regex_match(req.path, req.matches, r.pattern)) return &r;
  }
  return nullptr;
}

httplib::Request to_httplib(HttpRequest& in, const std::string& remote_addr, int remote_port) {
  httplib::Request req;
  req.method = in.head.method;
  req.target = in.head.target;
  req.version = in.head.minor_version == 0 ? "HTTP/1.0" : "HTTP/1.1";
  std::size_t q = req.target.find('?');
  req.path = httplib::detail::decode_url(req.target.substr(0, q), false);
  if (q != std::string::npos)
    httplib::detail::parse_query_text(req.target.substr(q + 1), req.params);
  for (auto& [name, value] : in.head.fields) req.headers.emplace(std::move(name), std::move(value));
  req.body = std::move(in.body);
  req.remote_addr = remote_addr;
  req.remote_port = remote_port;
  return req;
}

}  // namespace mcgw
