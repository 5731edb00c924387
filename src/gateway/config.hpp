// Command-line configuration of mc-gateway.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace mcgw {

struct Config {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string conninfo;
  std::size_t pool_size = 8;             // libpq connections, opened on demand
  std::size_t threads = 16;              // worker threads: requests whose handlers block
  std::size_t io_threads = 1;            // event loops: connections, parsing, pushes
  std::size_t max_body_bytes = 1 << 20;  // larger requests get 413 before their body is read
  int read_timeout_s = 5;                // per read: a stalled client is dropped after this
  int statement_timeout_ms = 4000;       // every database call (the SDK gives up after 5 s)
  int pool_wait_ms = 2000;               // waiting for a free connection, then 503
  int token_cache_s = 10;                // how long a looked-up token is remembered (0: never)
  std::size_t push_lanes = 2;            // single-event pushes in the database at once, batched
                                         // (push_lanes.hpp; 0: no batching)
};

// Parses argv; on error or --help returns nullopt after printing to stderr.
std::optional<Config> parse_args(int argc, char** argv);

}  // namespace mcgw
