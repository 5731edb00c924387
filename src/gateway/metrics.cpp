#include "gateway/metrics.hpp"

#include <sstream>

namespace mcgw {

void Metrics::observe(const std::string& route, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{route, status}];
  Histogram& h = latency_[route];
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  ++h.count;
  h.sum += seconds;
}

std::string Metrics::render() const {
  std::ostringstream out;
  std::lock_guard<std::mutex> lock(mutex_);
  out << "# HELP mc_gateway_requests_total HTTP requests by route and status code.\n"
      << "# TYPE mc_gateway_requests_total counter\n";
  for (const auto& [key, n] : requests_)
    out << "mc_gateway_requests_total{route=\"" << key.first << "\",code=\"" << key.second << "\"} "
        << n << "\n";
  out << "# HELP mc_gateway_request_duration_seconds Time to answer a request.\n"
      << "# TYPE mc_gateway_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    for (std::size_t i = 0; i < kBuckets.size(); ++i)
      out << "mc_gateway_request_duration_seconds_bucket{route=\"" << route << "\",le=\""
          << kBuckets[i] << "\"} " << h.buckets[i] << "\n";
    out << "mc_gateway_request_duration_seconds_bucket{route=\"" << route << "\",le=\"+Inf\"} "
        << h.count << "\n"
        << "mc_gateway_request_duration_seconds_sum{route=\"" << route << "\"} " << h.sum << "\n"
        << "mc_gateway_request_duration_seconds_count{route=\"" << route << "\"} " << h.count
        << "\n";
  }
  return out.str();
}

std::string route_label(const std::string& method, const std::string& raw_path) {
  // The routes accept extra leading slashes (an SDK endpoint ending in "/").
  auto first = raw_path.find_first_not_of('/');
  std::string path = first == std::string::npos ? "/" : "/" + raw_path.substr(first);
  if (path == "/nl/jsp/soaprouter.jsp") return "soap";
  if (path == "/nl/jsp/mcPing.jsp") return "mcping";
  if (path == "/r/test") return "redir_test";
  if (path == "/metrics") return "metrics";
  if (path == "/api/v1/openapi.json") return "openapi";
  if (path.rfind("/api/v1/events", 0) == 0) return method == "POST" ? "events_push" : "event_get";
  if (path.rfind("/u/", 0) == 0) return "unsubscribe";
  return "other";
}

}  // namespace mcgw
