// mc-gateway: the HTTP front of message_center (spec §9). Stateless: every request borrows a
// pooled connection and runs as its API token's role. SIGTERM/SIGINT stop accepting, let the
// requests in flight finish, and exit 0.
#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "gateway/config.hpp"
#include "gateway/context.hpp"
#include "gateway/push_alone.hpp"
#include "gateway/http_answer.hpp"
#include "gateway/http_server.hpp"
#include "gateway/metrics.hpp"
#include "gateway/pg_pool.hpp"
#include "gateway/problem.hpp"
#include "gateway/token_listener.hpp"
#include "gateway/version.hpp"
#include "gateway/worker_pool.hpp"

namespace {

using Clock = std::chrono::steady_clock;

std::mutex log_mutex;
// Access log lines of this thread not written yet. An event loop writes them once per round of
// events (ServerOptions::round_end), many requests per write(2); other threads at once.
thread_local std::string log_buffer;
thread_local bool log_deferred = false;

void flush_log() {
  if (log_buffer.empty()) return;
  {
    std::lock_guard<std::mutex> lock(log_mutex);
    std::size_t off = 0;
    while (off < log_buffer.size()) {
      ssize_t n = ::write(2, log_buffer.data() + off, log_buffer.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // nowhere to log: the requests are served all the same
      off += static_cast<std::size_t>(n);
    }
  }
  log_buffer.clear();
}

// A client-chosen value in a quoted log field: no quote or control character can break it.
std::string quotable(std::string s) {
  for (char& c : s)
    if (c == '"' || static_cast<unsigned char>(c) < 0x20) c = '\'';
  return s;
}

void access_log(const std::string& remote_addr, const std::string& method,
                const std::string& req_path, int status, std::size_t body_bytes,
                const std::string& user_agent, double seconds) {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char ts[32];
  std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
  // Paths only, never query strings or headers: they may carry tokens. An unsubscribe link is
  // a credential too.
  std::string path = req_path.find("/u/") <= 1 ? "/u/..." : quotable(req_path);
  // The line is built first and written with others (flush_log): std::cerr is unbuffered, and
  // streaming into it cost a system call per field (14 per request: bench/gateway's profile
  // showed the log's writes among the gateway's largest costs).
  std::string line;
  line.reserve(160);
  line.append(ts).append(" ").append(remote_addr).append(" ").append(quotable(method));
  line.append(" ").append(path).append(" ").append(std::to_string(status));
  line.append(" ").append(std::to_string(body_bytes)).append(" ");
  line.append(std::to_string(static_cast<long>(seconds * 1e6))).append("us \"");
  line.append(quotable(user_agent)).append("\"\n");
  log_buffer.append(line);
  if (!log_deferred || log_buffer.size() > 16384) flush_log();
}

// The answer's bytes: status line, the handler's fields, Content-Length, Connection, body.
void serialize(const httplib::Response& res, bool keep_alive, int minor_version, bool head_only,
               std::string* out) {
  out->reserve(160 + res.body.size());
  mcgw::begin_answer(*out, res.status);
  for (const auto& [name, value] : res.headers)
    if (!mcgw::iequals(name, "Content-Length") && !mcgw::iequals(name, "Connection"))
      mcgw::add_field(*out, name, value);
  mcgw::end_answer(*out, res.body, keep_alive, minor_version, head_only);
}

// What the answer of a request needs once its handler is done (now, or later: deferred).
struct Answering {
  Clock::time_point start;
  std::string method;
  std::string path;
  std::string remote_addr;
  std::string user_agent;
  int minor_version;
  bool keep_alive;
};

void finish(mcgw::Metrics& metrics, const Answering& a, httplib::Response& res, std::string* out) {
  if (res.status == -1) res.status = 200;
  serialize(res, a.keep_alive, a.minor_version, a.method == "HEAD", out);
  double seconds = std::chrono::duration<double>(Clock::now() - a.start).count();
  metrics.observe(mcgw::route_label(a.method, a.path), res.status, seconds);
  access_log(a.remote_addr, a.method, a.path, res.status, res.body.size(), a.user_agent, seconds);
}

// Runs a route's handler, an exception becoming a 500. True when it answered through res.
bool run_handler(const mcgw::Router::Route& route, const httplib::Request& req,
                 httplib::Response& res, mcgw::Deferral& deferral) {
  try {
    route.handler(req, res, deferral);
  } catch (const std::exception& e) {
    // A handler throws after defer() only when it could not hand the request on (out of
    // memory in PushLanes::submit): no answer will come, so it is answered here.
    deferral.undefer();
    std::cerr << "mc-gateway: unhandled exception: " << e.what() << "\n";
    res = httplib::Response();
    mcgw::send_problem(res, {500, "internal error", "", std::nullopt, std::nullopt});
    return true;
  }
  return !deferral.deferred() && !deferral.wants_worker();
}

// One complete request, on the event loop: routed, and answered now (true), or later through
// reply: by a single-event push's result (push_lanes.hpp), or by a worker thread for routes that
// block. Counted and logged when answered.
bool handle(const mcgw::Router& router, mcgw::WorkerPool& workers, mcgw::Metrics& metrics,
            mcgw::HttpRequest& in, const mcgw::Peer& peer, bool keep_alive, std::string* out,
            const mcgw::Reply& reply) {
  // Shared with a worker; never moved after routing (req.matches point into req.path).
  auto req = std::make_shared<httplib::Request>(mcgw::to_httplib(in, peer.addr, peer.port));
  auto a = std::make_shared<Answering>(Answering{Clock::now(), req->method, req->path, peer.addr,
                                                 req->get_header_value("User-Agent"),
                                                 in.head.minor_version, keep_alive});
  const mcgw::Router::Route* route = router.find(*req);
  httplib::Response res;
  if (!route) {
    res.status = 404;
    finish(metrics, *a, res, out);
    return true;
  }
  mcgw::Deferral::Finish answer = [&metrics, a, reply](httplib::Response& r) {
    std::string bytes;
    finish(metrics, *a, r, &bytes);
    reply(std::move(bytes));
  };
  if (route->on_loop) {
    mcgw::Deferral deferral(answer, false);
    if (run_handler(*route, *req, res, deferral)) {
      finish(metrics, *a, res, out);
      return true;
    }
    if (deferral.deferred()) return false;
  }
  workers.submit([route, req, answer] {
    mcgw::Deferral deferral(answer, true);
    httplib::Response r;
    if (run_handler(*route, *req, r, deferral)) answer(r);
  });
  return false;
}

// A request refused by its head before its body was read: 411 (no Content-Length: cpp-httplib
// bounded neither a chunked body nor one read to EOF, and neither path is needed), 413 (larger
// than --max-body-bytes), 400, 431, 505. Always closes the connection.
void refuse(mcgw::Metrics& metrics, const mcgw::RequestHead& head, const mcgw::Peer& peer,
            int status, const std::string& reason, std::string* out) {
  httplib::Response res;
  mcgw::send_problem(res, {status, reason, "", std::nullopt, std::nullopt});
  serialize(res, false, 1, false, out);
  std::size_t q = head.target.find('?');
  std::string path = head.target.substr(0, q);
  metrics.observe(mcgw::route_label(head.method, path), status, 0);
  access_log(peer.addr, head.method.empty() ? "-" : head.method, path.empty() ? "-" : path, status,
             res.body.size(), std::string(mcgw::field_value(head, "User-Agent")), 0);
}

}  // namespace

int main(int argc, char** argv) {
  auto config = mcgw::parse_args(argc, argv);
  if (!config) return 2;

  // Signals are taken by one thread with sigwait; every other thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client gone mid-answer is a failed write, not a dead gateway

  mcgw::Pool pool(config->conninfo, config->pool_size, config->statement_timeout_ms);
  mcgw::Metrics metrics;
  // Tokens already looked up set their role directly; the listener clears them on every change
  // to mc.api_token and keeps the cache off while it cannot listen (token_cache.hpp).
  mcgw::TokenCache tokens(std::chrono::seconds(config->token_cache_s), 10000);
  std::unique_ptr<mcgw::TokenListener> listener;
  if (config->token_cache_s > 0)
    listener = std::make_unique<mcgw::TokenListener>(config->conninfo, &tokens);
  mcgw::TokenCache* cache = config->token_cache_s > 0 ? &tokens : nullptr;
  // Single-event pushes of remembered tokens go through the lanes without holding a thread
  // (push_lanes.hpp); the others (a token's first request) the blocking way, alone
  // (push_alone.hpp). The lanes hold their connections: they never take more than half the pool.
  mcgw::DbLimits limits{config->statement_timeout_ms, config->pool_wait_ms};
  std::size_t lanes = std::min(config->push_lanes, config->pool_size / 2);
  mcgw::PushLanes push_lanes(pool, cache, lanes, limits,
                             [&pool, cache](const mcgw::DbLimits& l, const std::string& token,
                                            const std::string& event, const std::string& queue) {
                               return mcgw::push_alone(pool, l, cache, token, event, queue);
                             });
  mcgw::Context ctx{*config, &pool, &metrics, cache, lanes > 0 ? &push_lanes : nullptr};

  mcgw::Router router;
  mcgw::add_soap_routes(router, ctx);
  mcgw::add_health_routes(router, ctx);
  mcgw::add_json_api_routes(router, ctx);
  mcgw::add_unsubscribe_routes(router, ctx);
  mcgw::add_metrics_route(router, ctx);

  // Handlers that block run here; the event loops hand them over and go on.
  mcgw::WorkerPool workers(config->threads);
  mcgw::ServerOptions options;
  options.host = config->host;
  options.port = config->port;
  options.threads = config->io_threads;
  options.limits.max_body_bytes = config->max_body_bytes;
  options.read_timeout = std::chrono::seconds(config->read_timeout_s);
  // A whole request (head and body) must arrive within 3 read timeouts, however it trickles.
  options.request_timeout = std::chrono::seconds(3 * config->read_timeout_s);
  // A loop's pushes leave once per round of events, those of one role together (push_lanes.hpp).
  options.loop_start = [] {
    log_deferred = true;
    mcgw::PushLanes::defer_sends_on_this_thread();
  };
  options.round_end = [&push_lanes] {
    push_lanes.round_end();
    flush_log();
  };
  options.tick = [&push_lanes] { push_lanes.poke(); };
  mcgw::HttpServer server(
      options,
      [&](mcgw::HttpRequest& req, const mcgw::Peer& peer, bool keep_alive, std::string* out,
          const mcgw::Reply& reply) {
        return handle(router, workers, metrics, req, peer, keep_alive, out, reply);
      },
      [&](const mcgw::RequestHead& head, const mcgw::Peer& peer, int status,
          const std::string& reason,
          std::string* out) { refuse(metrics, head, peer, status, reason, out); });
  push_lanes.attach(&server,
                    [&workers](std::function<void()> job) { workers.submit(std::move(job)); });
  std::string error;
  if (!server.listen(&error)) {
    std::cerr << "mc-gateway: cannot listen on " << config->host << ":" << config->port << ": "
              << error << "\n";
    return 1;
  }
  std::cerr << "mc-gateway " << mcgw::kVersion << " listening on " << config->host << ":"
            << server.port() << std::endl;

  std::thread stopper([&server, &stop_signals] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    std::cerr << "mc-gateway: signal " << sig << ", finishing requests in flight" << std::endl;
    server.stop();
  });
  server.run();  // returns after stop(), once the requests in flight are answered
  // run() also returns when epoll fails: the stopper is then still waiting for a signal.
  pthread_kill(stopper.native_handle(), SIGTERM);
  stopper.join();
  std::cerr << "mc-gateway: stopped" << std::endl;
  return 0;
}
