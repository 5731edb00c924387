#include "gateway/token_listener.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <chrono>
#include <iostream>

namespace mcgw {

namespace {
constexpr const char* kChannel = "mc_api_token_changed";
}

TokenListener::TokenListener(std::string conninfo, TokenCache* cache)
    : conninfo_(std::move(conninfo)), cache_(cache), thread_([this] { run(); }) {}

TokenListener::~TokenListener() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void TokenListener::run() {
  bool warned = false;
  while (!stop_) {
    PGconn* conn = PQconnectdb(conninfo_.c_str());
    bool listening = false;
    if (PQstatus(conn) == CONNECTION_OK) {
      PGresult* r = PQexec(conn, (std::string("LISTEN ") + kChannel).c_str());
      listening = PQresultStatus(r) == PGRES_COMMAND_OK;
      PQclear(r);
    }
    if (listening) {
      cache_->set_enabled(true);
      if (warned) std::cerr << "mc-gateway: token cache on again (listening)\n";
      warned = false;
      while (!stop_) {
        pollfd p{PQsocket(conn), POLLIN, 0};
        int n = poll(&p, 1, 250);
        if (n < 0) continue;
        if (n > 0 && !PQconsumeInput(conn)) break;
        if (PQstatus(conn) != CONNECTION_OK) break;
        bool changed = false;
        while (PGnotify* note = PQnotifies(conn)) {
          changed = true;
          PQfreemem(note);
        }
        if (changed) cache_->clear();
      }
    }
    // Not listening: a revocation could go unheard, so no token is served from memory.
    cache_->set_enabled(false);
    if (!stop_ && !warned) {
      std::string why = PQerrorMessage(conn);
      while (!why.empty() && why.back() == '\n') why.pop_back();
      std::cerr << "mc-gateway: token cache off (cannot listen for revocations: " << why << ")\n";
      warned = true;
    }
    PQfinish(conn);
    for (int i = 0; i < 4 && !stop_; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

}  // namespace mcgw
