// Group commit of single-event pushes without a thread per waiting request. (It replaced a
// blocking leader/follower batcher: the server's threads slept on its futex and on libpq's
// poll, two more context switches per request: bench/README.md, "Gateway".)
//
// `lanes` pooled connections are held, each in libpq's non-blocking pipeline mode with its
// socket in the HTTP server's epoll set (http_server.hpp, EventSource). submit() queues a push
// and returns at once; a free lane leaves at once with everything queued for the push's role
// and queue (oldest first, at most max_batch); a busy one takes the next batch when its result
// arrives, on whichever server thread hears of it, which then calls each push's done. A second
// lane starts a batch only when every busy one has been busy for `spill` (2 ms; a batch waiting
// on a lock): under steady load one lane collects larger batches (bench/gateway measured 3.4
// events per batch and 15 µs of PostgreSQL CPU per push with one lane, 2.1 and 19-21 µs with
// two in use), and a stuck batch still does not hold up the pushes behind it for long.
//
// Semantics: batches by remembered role and queue (a token
// whose role is not remembered is not taken: submit() returns false and the caller pushes it
// the blocking way, which looks it up); one push alone is `mc.push_event`, several are one
// `mc.push_events_json`, in one implicit transaction with the role set (one round trip); a
// refused batch is retried one push at a time through the blocking path (each its own answer);
// a batch whose connection broke mid-exchange gives each push that error (it may have
// committed); a push alone whose role could not be set goes the blocking way too (a stale
// remembered role is forgotten and looked up there).
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/db_error.hpp"
#include "gateway/db_session.hpp"
#include "gateway/http_server.hpp"
#include "gateway/pg_pool.hpp"
#include "gateway/push_alone.hpp"
#include "gateway/token_cache.hpp"

namespace mcgw {

class PushLanes {
 public:
  // The id, or the error (AuthError, DbError) the blocking path would have thrown.
  using Done = std::function<void(std::string id, std::exception_ptr error)>;

  // alone: the blocking push of one event (PushOne: run_one_as_token).
  // spill: how long every busy lane must have been busy before a new batch takes a free lane.
  PushLanes(Pool& pool, TokenCache* cache, std::size_t lanes, DbLimits limits, PushOne alone,
            std::size_t max_batch = 256,
            std::chrono::microseconds spill = std::chrono::milliseconds(2));
  ~PushLanes();
  PushLanes(const PushLanes&) = delete;
  PushLanes& operator=(const PushLanes&) = delete;

  // The server whose epoll set the lanes' sockets join, and where the blocking work goes
  // (pushes retried alone: a worker thread); before the first submit().
  using Offload = std::function<void(std::function<void()>)>;
  void attach(HttpServer* server, Offload offload) {
    server_ = server;
    offload_ = std::move(offload);
  }

  // Queues one event (the JSON text of an object) for queue ("rt" or "batch") as the token's
  // remembered role; done is called once, later, on a server thread. False (done never
  // called): no lanes, or the token's role is not remembered: push it the blocking way.
  bool submit(const std::string& token, std::string event, std::string queue, Done done);

  // For /metrics: batches sent, events in them, batches retried one by one (counters), and
  // the pushes waiting for a lane now (a gauge); the lanes free now.
  struct Stats {
    std::uint64_t batches = 0;
    std::uint64_t batched_events = 0;
    std::uint64_t retried_batches = 0;
    std::uint64_t queued = 0;
    std::uint64_t free_lanes = 0;
  };
  Stats stats() const;

  // Starts queued pushes on a free lane when every busy lane has been busy longer than the
  // spill time (a batch waiting on a lock); called periodically (the server's timer thread).
  void poke();

 private:
  struct Job {
    std::string token;
    std::string event;
    std::string queue;
    std::string role;
    Done done;
    std::string id;
    std::exception_ptr error;
    bool alone = false;  // to be pushed the blocking way
  };
  struct Lane : EventSource {
    explicit Lane(PushLanes* o) : owner(o) {}
    void on_event(unsigned events) override { owner->on_lane_event(this, events); }
    PushLanes* owner;
    std::optional<Pool::Lease> lease;
    int fd = -1;
    bool registered = false;
    bool busy = false;  // under mutex_, with busy_since: the batch under way started then
    std::chrono::steady_clock::time_point busy_since;
    bool was_idle = true;  // since idle_since: checked before it is trusted again
    std::chrono::steady_clock::time_point idle_since;
    std::vector<Job> batch;
    std::vector<Result> results;  // of the exchange under way, in order
  };

  void take_batch(Lane* lane);  // under mutex_
  Lane* lane_for_new_batch();   // under mutex_
  void send(Lane* lane, bool may_block = false);
  bool connect(Lane* lane);
  void drop(Lane* lane);
  void on_lane_event(Lane* lane, unsigned events);
  void finish(Lane* lane, std::optional<DbError> error, bool in_doubt);
  void complete(std::vector<Job>& jobs);

  Pool& pool_;
  TokenCache* cache_;
  DbLimits limits_;
  PushOne alone_;
  std::size_t max_batch_;
  std::chrono::microseconds spill_;
  HttpServer* server_ = nullptr;
  Offload offload_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  mutable std::mutex mutex_;
  std::vector<Lane*> free_;
  std::vector<Job> pending_;  // oldest first
  Stats stats_;
};

}  // namespace mcgw
