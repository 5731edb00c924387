// mc-gateway: the HTTP front of message_center (spec §9). Stateless: every request borrows a
// pooled connection and runs as its API token's role. SIGTERM/SIGINT stop accepting, let the
// requests in flight finish, and exit 0.
#include <httplib.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "gateway/config.hpp"
#include "gateway/context.hpp"
#include "gateway/metrics.hpp"
#include "gateway/pg_pool.hpp"
#include "gateway/problem.hpp"
#include "gateway/token_listener.hpp"
#include "gateway/version.hpp"

namespace {

using Clock = std::chrono::steady_clock;
// The logger runs on the worker thread that ran the pre-routing handler.
thread_local Clock::time_point request_start;

std::mutex log_mutex;

// A client-chosen value in a quoted log field: no quote or control character can break it.
std::string quotable(std::string s) {
  for (char& c : s)
    if (c == '"' || static_cast<unsigned char>(c) < 0x20) c = '\'';
  return s;
}

void access_log(const httplib::Request& req, const httplib::Response& res, double seconds) {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char ts[32];
  std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
  // Paths only, never query strings or headers: they may carry tokens. An unsubscribe link is
  // a credential too.
  std::string path = req.path.find("/u/") <= 1 ? "/u/..." : req.path;
  // The line is built first and written with one write(2): std::cerr is unbuffered, and
  // streaming into it cost a system call per field (14 per request: bench/gateway's profile
  // showed the log's writes among the gateway's largest costs).
  std::string line;
  line.reserve(160);
  line.append(ts).append(" ").append(req.remote_addr).append(" ").append(req.method);
  line.append(" ").append(path).append(" ").append(std::to_string(res.status));
  line.append(" ").append(std::to_string(res.body.size())).append(" ");
  line.append(std::to_string(static_cast<long>(seconds * 1e6))).append("us \"");
  line.append(quotable(req.get_header_value("User-Agent"))).append("\"\n");
  std::lock_guard<std::mutex> lock(log_mutex);
  std::cerr.write(line.data(), static_cast<std::streamsize>(line.size()));
}

// Refuses what must not be read at all, before httplib reads the body: too large (413), or
// of unknown length (411): httplib 0.11 bounds neither a chunked body nor one read to EOF.
httplib::Server::HandlerResponse pre_routing(const mcgw::Config& config,
                                             const httplib::Request& req, httplib::Response& res) {
  request_start = Clock::now();
  bool may_have_body = req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
  if (req.has_header("Transfer-Encoding") || (may_have_body && !req.has_header("Content-Length"))) {
    res.set_header("Connection", "close");
    mcgw::send_problem(res, {411, "a Content-Length is required", "", std::nullopt, std::nullopt});
    return httplib::Server::HandlerResponse::Handled;
  }
  std::string length = req.get_header_value("Content-Length");
  bool digits = !length.empty() && length.size() <= 12 &&
                length.find_first_not_of("0123456789") == std::string::npos;
  if (!length.empty() && (!digits || std::stoull(length) > config.max_body_bytes)) {
    res.set_header("Connection", "close");
    mcgw::send_problem(
        res, {413, "the body is larger than " + std::to_string(config.max_body_bytes) + " bytes",
              "", std::nullopt, std::nullopt});
    return httplib::Server::HandlerResponse::Handled;
  }
  return httplib::Server::HandlerResponse::Unhandled;
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
  // Batches never hold more connections than the pool has.
  mcgw::PushBatcher pushes(pool, cache, std::min(config->push_lanes, config->pool_size));
  mcgw::Context ctx{*config, &pool, &metrics, cache, &pushes};

  httplib::Server server;
  std::size_t threads = config->threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_payload_max_length(config->max_body_bytes);
  server.set_read_timeout(config->read_timeout_s, 0);
  server.set_write_timeout(config->read_timeout_s, 0);
  server.set_keep_alive_timeout(config->read_timeout_s);
  server.set_keep_alive_max_count(1000);
  // httplib writes the headers and the body of an answer separately: with Nagle's algorithm
  // the body waits for the client's delayed ACK of the headers (40 ms on Linux) on every
  // keep-alive request. bench/gateway measured 44 ms p50 and ~180 requests/s before this.
  server.set_tcp_nodelay(true);
  server.set_pre_routing_handler([&ctx](const httplib::Request& req, httplib::Response& res) {
    return pre_routing(ctx.config, req, res);
  });
  server.set_logger([&metrics](const httplib::Request& req, const httplib::Response& res) {
    double seconds = std::chrono::duration<double>(Clock::now() - request_start).count();
    if (request_start == Clock::time_point{}) seconds = 0;  // refused before routing
    request_start = {};
    metrics.observe(mcgw::route_label(req.method, req.path), res.status, seconds);
    access_log(req, res, seconds);
  });
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unexpected error";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        std::cerr << "mc-gateway: unhandled exception: " << what << "\n";
        mcgw::send_problem(res, {500, "internal error", "", std::nullopt, std::nullopt});
      });

  mcgw::add_soap_routes(server, ctx);
  mcgw::add_health_routes(server, ctx);
  mcgw::add_json_api_routes(server, ctx);
  mcgw::add_unsubscribe_routes(server, ctx);
  mcgw::add_metrics_route(server, ctx);

  int port = config->port;
  bool bound = port == 0 ? (port = server.bind_to_any_port(config->host)) > 0
                         : server.bind_to_port(config->host, port);
  if (!bound) {
    std::cerr << "mc-gateway: cannot listen on " << config->host << ":" << config->port << "\n";
    return 1;
  }
  std::cerr << "mc-gateway " << mcgw::kVersion << " listening on " << config->host << ":" << port
            << std::endl;

  std::thread stopper([&server, &stop_signals] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    std::cerr << "mc-gateway: signal " << sig << ", finishing requests in flight" << std::endl;
    server.stop();
  });
  bool ok = server.listen_after_bind();
  if (!ok && server.is_running()) return 1;
  // listen_after_bind returned on stop(): the thread pool has drained.
  if (stopper.joinable()) {
    // The stopper exits after stop(); when listening failed on its own, wake it.
    pthread_kill(stopper.native_handle(), SIGTERM);
    stopper.join();
  }
  std::cerr << "mc-gateway: stopped" << std::endl;
  return 0;
}
