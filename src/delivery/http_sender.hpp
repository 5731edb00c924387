// Sends HTTP requests to one http provider through libcurl, many at once over kept-alive
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
// Connections: max_connections slots, each a kept-alive connection (curl_engine.hpp); rate:
// max_per_second. Per request: CURLOPT_TIMEOUT_MS = timeout_ms, no redirects followed (a 3xx
// is an answer: failed), protocols http and https only, the response body kept up to 64 KiB
// (for failure_reason), Retry-After read from the response headers.
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

class HttpSender {
 public:
  explicit HttpSender(HttpOptions options);
  void add(HttpJob job);
  std::size_t poll(int timeout_ms) { return engine_.poll(timeout_ms); }
  std::vector<HttpResult> take_completed();
  bool idle() const { return engine_.idle(); }
  std::size_t queued() const { return engine_.queued(); }
  std::size_t in_flight() const { return engine_.in_flight(); }
  const EngineStats& stats() const { return engine_.stats(); }
  // External wait (see curl_engine.hpp): for a caller that waits on its own event set.
  std::vector<WaitSocket> wait_sockets() const { return engine_.wait_sockets(); }
  long wait_timeout_ms() { return engine_.wait_timeout_ms(); }
  void process(const std::vector<ReadySocket>& ready) { engine_.process(ready); }

 private:
  HttpOptions options_;
  CurlEngine engine_;
};

}  // namespace mc::delivery
