// Sends HTTP requests to one http provider, many at once over kept-alive
// connections, and classifies each answer (http_outcome.hpp). Driven incrementally exactly
// like SmtpSender (see smtp_sender.hpp):
//
//   HttpSender sender(config.http);
//   sender.add(request_template.render(event_id, data, root, secret));   // never blocks
//   while (!sender.idle()) {
//     sender.poll(100);
//     for (HttpResult& r : sender.take_completed()) record(r);   // r.outcome.retry_after_s
//   }
//
// Two paths: requests to plaintext http:// on a literal address (webhooks to 127.0.0.1, a
// gateway on the same network) go through a native non-blocking keep-alive client
// (http_pipeline.hpp); https, host names and the rest through libcurl (curl_engine.hpp).
// Connections: max_connections per path, each kept alive (the two paths never reach the same
// server: one serves literal addresses over plaintext, the other the rest); rate:
// max_per_second, one token bucket for both. Per request, on both paths: timeout_ms (curl:
// CURLOPT_TIMEOUT_MS), no redirects followed (a 3xx is an answer: failed), protocols http and
// https only, the response body kept up to 64 KiB (for failure_reason), Retry-After read from
// the response headers.
#pragma once

#include "delivery/curl_engine.hpp"
#include "delivery/http_request.hpp"
#include "delivery/outcome.hpp"
#include "delivery/provider_config.hpp"

#include <string>
#include <vector>

namespace mc::delivery {

struct HttpResult {
  std::uint64_t id = 0;
  Outcome outcome;
  long status = 0;  // 0: no answer (connection failure, timeout)
  std::string response_body;
  int curl_code = 0;
  std::string curl_error;
  bool new_connection = false;
};

class HttpPipeline;

class HttpSender {
 public:
  // `native`: requests to http:// on a literal address go through the native keep-alive client
  // (http_pipeline.hpp); false: everything through libcurl (tests compare both).
  explicit HttpSender(HttpOptions options, bool native = true);
  ~HttpSender();
  HttpSender(const HttpSender&) = delete;
  HttpSender& operator=(const HttpSender&) = delete;

  void add(HttpJob job);
  // Lets transfers progress for up to timeout_ms; returns as soon as some completed.
  std::size_t poll(int timeout_ms);
  std::vector<HttpResult> take_completed();
  bool idle() const;
  std::size_t queued() const;
  std::size_t in_flight() const;
  EngineStats stats() const;
  // External wait (see curl_engine.hpp): for a caller that waits on its own event set.
  std::vector<WaitSocket> wait_sockets() const;
  long wait_timeout_ms();
  void process(const std::vector<ReadySocket>& ready);

 private:
  std::size_t completed() const;

  HttpOptions options_;
  TokenBucket bucket_;  // max_per_second, shared by both paths
  CurlEngine engine_;
  std::unique_ptr<HttpPipeline> native_;
  std::vector<HttpResult> done_;  // finished curl transfers not taken yet
};

}  // namespace mc::delivery
