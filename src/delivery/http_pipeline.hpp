// A small non-blocking HTTP/1.1 client with kept-alive connections, used by HttpSender for
// requests to plaintext `http://` URLs whose host is an IP literal or `localhost`; https, host
// names and everything else keep going through libcurl (curl_engine.hpp). The pattern of
// smtp_pipeline.hpp, for the same reason:
//
// Why not libcurl: profiled on bench/sender (10,000 webhooks into nginx, 8 connections, one
// worker), libcurl itself, with its share of the C library and of the system calls it makes
// around each transfer (an easy handle reset and set up per request, curl_multi_add_handle,
// socket callbacks, timers, getsockname/poll per transfer), took about a quarter of the
// worker's time, as much as the work the worker exists for. Here a request is one string built
// once (build_http_request), one send(2) on an open connection, and one recv(2) that usually
// holds the whole answer, read by HttpResponseReader (http_response.hpp).
//
// Same contract as the curl path (HttpSender): the outcome of a status comes from
// classify_http_status (Retry-After included), a request that got no answer (refused, reset,
// timeout, malformed answer) is deferred through classify_transport_failure with the text and
// CURLcode libcurl would report. Per request: timeout_ms from the moment it is handed to a
// connection (connect included), no redirects, the body kept up to 64 KiB. Headers: the
// caller's (CR, LF or NUL refused; an empty value is not sent and removes the default of that
// name), plus what libcurl adds: Host, Accept: */*, Content-Length and, for a body without a
// Content-Type, `application/x-www-form-urlencoded`. Connections: at most max_connections
// across all addresses, each kept open while the server allows (HTTP/1.1 without
// `Connection: close`); one request at a time per connection (no pipelining). A request sent
// on a kept-alive connection that the server closed before answering anything is sent once
// more on a new connection (as libcurl does); a stalled server holds only its own connections,
// never the caller (nothing here blocks).
#pragma once

#include "delivery/curl_engine.hpp"  // WaitSocket, ReadySocket, EngineStats, monotonic_ms
#include "delivery/http_request.hpp"
#include "delivery/provider_config.hpp"
#include "delivery/token_bucket.hpp"

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace mc::delivery {

struct HttpResult;

// The request bytes for `job` to `url` (parsed from job.url). Throws DeliveryError for a header
// with CR, LF or NUL.
std::string build_http_request(const HttpJob& job, const ParsedUrl& url);

class HttpPipeline {
 public:
  // Whether this client can send `job` (its URL parsed into `url`): http:// on a literal
  // address, and no Expect header of the caller's.
  static bool usable(const HttpJob& job, const ParsedUrl& url);

  // `bucket`: the provider's rate limit, shared with the curl path (not owned).
  HttpPipeline(const HttpOptions& options, TokenBucket* bucket);
  ~HttpPipeline();
  HttpPipeline(const HttpPipeline&) = delete;
  HttpPipeline& operator=(const HttpPipeline&) = delete;

  // Queues a request (usable() said yes); never blocks. A request that cannot be built
  // completes at once as failed.
  void add(HttpJob job, const ParsedUrl& url);
  // Moves the completed results to `out`.
  void take_completed(std::vector<HttpResult>& out);
  std::size_t completed() const;
  std::size_t queued() const { return queue_.size(); }
  std::size_t in_flight() const;
  bool idle() const { return queue_.empty() && in_flight() == 0; }
  bool owns(int fd) const;
  const EngineStats& stats() const { return stats_; }

  // External wait (same protocol as CurlEngine).
  void wait_sockets(std::vector<WaitSocket>& out) const;
  long wait_timeout_ms();
  void process(const std::vector<ReadySocket>& ready);

 private:
  struct Conn;
  struct Request;
  void start_requests(std::int64_t now);
  Conn* pick(const Request& r);
  int open(Conn& c, const Request& r);  // 0 or the errno of socket/connect
  void flush(Conn& c);
  void on_readable(Conn& c, std::int64_t now);
  void on_response(Conn& c);
  void fail(Conn& c, const std::string& why, int curl_code, bool retry_unanswered);
  void close(Conn& c);
  void complete_transport(std::unique_ptr<Request> r, const std::string& why, int curl_code);

  const HttpOptions& options_;
  TokenBucket* bucket_;
  std::deque<std::unique_ptr<Request>> queue_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<HttpResult> completed_;
  EngineStats stats_;
};

}  // namespace mc::delivery
