// The webhook sending path alone, without PostgreSQL (bench/README.md, "Sender"): N signed
// webhook POSTs, built as the sender worker's dispatcher builds them (JSON body, Content-Type,
// X-MC-Event-Id, X-MC-Signature), through HttpSender over C connections, at most 32 per
// connection handed over at a time (the worker's claim capacity), until every answer is in.
//
//   http_client_bench URL N C native|curl  ->  prints "<requests per second> <sent> <other>"
//
// native: the keep-alive client of src/delivery/http_pipeline.hpp (http:// on a literal
// address); curl: everything through libcurl (curl_engine.hpp), as before it.
#include "delivery/http_request.hpp"
#include "delivery/http_sender.hpp"
#include "delivery/provider_config.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace mc::delivery;

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s URL N CONNECTIONS native|curl\n", argv[0]);
    return 2;
  }
  std::string url = argv[1];
  long n = std::atol(argv[2]);
  int conns = std::atoi(argv[3]);
  bool native = std::string(argv[4]) == "native";
  ProviderConfig cfg = parse_provider_config("bench", "webhook", "http", std::nullopt,
                                             "{\"max_connections\":" + std::to_string(conns) + "}");
  HttpSender sender(cfg.http, native);
  long capacity = 32L * conns, added = 0, sent = 0, other = 0;
  auto t0 = std::chrono::steady_clock::now();
  while (sent + other < n) {
    while (added < n && added - sent - other < capacity) {
      ++added;
      HttpJob job;
      job.id = static_cast<std::uint64_t>(added);
      job.method = "POST";
      job.url = url;
      job.body = "{\"n\":" + std::to_string(added) +
                 ",\"pad\":\"0123456789012345678901234567890123456789\"}";
      job.headers.emplace_back("Content-Type", "application/json");
      sign_webhook(job, "k", std::to_string(added));
      sender.add(std::move(job));
    }
    sender.poll(100);
    for (HttpResult& r : sender.take_completed())
      (r.outcome.disposition == Disposition::Sent ? sent : other)++;
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%.1f %ld %ld\n", n / s, sent, other);
  return other == 0 ? 0 : 1;
}
