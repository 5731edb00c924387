#include "gateway/config.hpp"

#include <cstdlib>
#include <iostream>
#include <string_view>

namespace mcgw {
namespace {

constexpr const char* kUsage =
    "usage: mc-gateway --listen HOST:PORT --conninfo CONNINFO [--pool-size N] [--threads N]\n"
    "                  [--io-threads N]"
    "\n"
    "                  [--max-body-bytes N] [--read-timeout-s N] [--statement-timeout-ms N]\n"
    "                  [--token-cache-s N] [--push-lanes N]\n";

bool parse_size(const std::string& text, long long min, long long max, long long* out) {
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < min || v > max) return false;
  *out = v;
  return true;
}

bool parse_listen(const std::string& text, Config* c) {
  // The last colon separates the port, so "[::1]:8080" keeps its brackets off the host.
  auto colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  long long port = 0;
  if (host.empty() || !parse_size(text.substr(colon + 1), 0, 65535, &port)) return false;
  c->host = host;
  c->port = static_cast<int>(port);
  return true;
}

}  // namespace

std::optional<Config> parse_args(int argc, char** argv) {
  Config c;
  bool have_conninfo = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cerr << kUsage;
      return std::nullopt;
    }
    if (i + 1 >= argc) {
      std::cerr << "mc-gateway: " << arg << " needs a value\n" << kUsage;
      return std::nullopt;
    }
    std::string value = argv[++i];
    long long n = 0;
    bool ok = true;
    if (arg == "--listen") {
      ok = parse_listen(value, &c);
    } else if (arg == "--conninfo") {
      c.conninfo = value;
      have_conninfo = true;
    } else if (arg == "--pool-size") {
      ok = parse_size(value, 1, 1000, &n) && (c.pool_size = n, true);
    } else if (arg == "--threads") {
      ok = parse_size(value, 1, 1000, &n) && (c.threads = n, true);
    } else if (arg == "--io-threads") {
      ok = parse_size(value, 1, 64, &n) && (c.io_threads = n, true);
    } else if (arg == "--max-body-bytes") {
      ok = parse_size(value, 1024, 1LL << 30, &n) && (c.max_body_bytes = n, true);
    } else if (arg == "--read-timeout-s") {
      ok = parse_size(value, 1, 3600, &n) && (c.read_timeout_s = static_cast<int>(n), true);
    } else if (arg == "--statement-timeout-ms") {
      ok =
          parse_size(value, 1, 3600000, &n) && (c.statement_timeout_ms = static_cast<int>(n), true);
    } else if (arg == "--token-cache-s") {
      ok = parse_size(value, 0, 3600, &n) && (c.token_cache_s = static_cast<int>(n), true);
    } else if (arg == "--push-lanes") {
      ok = parse_size(value, 0, 1000, &n) && (c.push_lanes = n, true);
    } else {
      std::cerr << "mc-gateway: unknown option " << arg << "\n" << kUsage;
      return std::nullopt;
    }
    if (!ok) {
      std::cerr << "mc-gateway: bad value for " << arg << ": " << value << "\n";
      return std::nullopt;
    }
  }
  if (!have_conninfo) {
    std::cerr << "mc-gateway: --conninfo is required\n" << kUsage;
    return std::nullopt;
  }
  return c;
}

}  // namespace mcgw
