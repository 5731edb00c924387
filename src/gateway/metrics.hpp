// Prometheus counters of the gateway (text exposition format 0.0.4). Labels are route names,
// never raw paths, so the number of series stays bounded whatever clients request.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace mcgw {

class Metrics {
 public:
  static constexpr std::array<double, 11> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1.0,  5.0};
  void observe(const std::string& route, int status, double seconds);
  // The request counters and latency histograms.
  std::string render() const;

 private:
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
};

// The route label of a request path: "soap", "mcping", "events_push", ... or "other".
std::string route_label(const std::string& method, const std::string& path);

}  // namespace mcgw
