// Group commit of single-event pushes without a thread per waiting request. (It replaced a
// blocking leader/follower batcher: the server's threads slept on its futex and on libpq's
// poll, two more context switches per request: bench/README.md, "Gateway".)
//
// `lanes` pooled connections are held, each in libpq's non-blocking pipeline mode with its
// socket in the HTTP server's epoll set (http_server.hpp, EventSource). submit() queues a push
// and returns at once; on an event loop the queue is sent at the end of the loop's round of
// events (round_end), so the pushes that arrived together leave together. A batch is the
// oldest queued push and everything else queued for its role and queue (at most max_batch).
// It goes to a lane whose batches are moving, behind the one under way there (pipelined, at
// most `depth` batches, 2, on a lane: each its own implicit transaction and Sync, their
// results in order), or to a free lane. Whichever server thread hears of a batch's result
// sends what is queued next, then calls each push's done. A second lane starts a batch only
// when every busy one has been on its oldest batch for `spill` (2 ms; a batch waiting on a
// lock; no batch is pipelined behind such a one): under steady load one lane collects larger
// batches (bench/gateway measured 3.4 events per batch and 15 µs of PostgreSQL CPU per push
// with one lane, 2.1 and 19-21 µs with two in use), and a stuck batch still does not hold up
// the pushes behind it for long. Pipelining removes a wait: a push that arrives while a batch
// runs no longer waits for that batch's result to come back to the gateway before its own is
// sent, and the lane's backend goes from one batch to the next without sleeping (bench/README,
// "Gateway", 2026-12-01).
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
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
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
  // depth: how many batches one lane may have in flight (pipelined: the next sent while the
  // one before runs); 1: a lane waits for a batch's result before it sends the next.
  PushLanes(Pool& pool, TokenCache* cache, std::size_t lanes, DbLimits limits, PushOne alone,
            std::size_t max_batch = 256,
            std::chrono::microseconds spill = std::chrono::milliseconds(2), std::size_t depth = 2);
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

  // On an event loop's thread: submit() only queues, and round_end() (after the loop's round
  // of events) sends what was queued, so the pushes that arrived in one round leave together.
  static void defer_sends_on_this_thread();
  void round_end();

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
  // One exchange: the role, the push, a Sync (one implicit transaction); its results.
  struct Batch {
    std::vector<Job> jobs;
    std::vector<Result> results;  // in order: the role's, the push's
  };
  struct Lane : EventSource {
    explicit Lane(PushLanes* o) : owner(o) {}
    void on_event(unsigned events) override { owner->on_lane_event(this, events); }
    PushLanes* owner;
    // Under the owner's mutex_: batches given to this lane and not finished (sent, or about to
    // be); since when its oldest one has been under way; whether it is connected (another batch
    // may follow the one under way in its pipeline: a lane still connecting takes only one).
    std::size_t in_flight = 0;
    std::chrono::steady_clock::time_point busy_since;
    bool ready = false;
    // Under mu: the connection, and the batches sent on it, oldest first (results come back
    // in that order). Lock order: mu, then the owner's mutex_.
    std::mutex mu;
    std::optional<Pool::Lease> lease;
    int fd = -1;
    unsigned watched = 0;  // the events last asked of the server for fd; 0: not in its set
    bool was_idle = true;  // since idle_since: checked before it is trusted again
    std::chrono::steady_clock::time_point idle_since;
    std::deque<Batch> sent;
  };
  using Outgoing = std::vector<std::pair<Lane*, Batch>>;

  Lane* lane_for_new_batch();               // under mutex_
  Batch take_batch(Lane* lane);             // under mutex_
  void dispatch(Outgoing* out);             // under mutex_
  void release(Lane* lane, std::size_t n);  // n batches of the lane done; the lane's next
  void send_all(Outgoing& out);
  void send(Lane* lane, Batch batch, bool may_block = false);
  bool connect(Lane* lane);                 // under lane->mu
  void drop(Lane* lane);                    // under lane->mu
  void watch(Lane* lane, unsigned events);  // under lane->mu
  void on_lane_event(Lane* lane, unsigned events);
  void settle(Batch& b, std::optional<DbError> error, bool* retried);
  void complete(std::vector<Job>& jobs);

  Pool& pool_;
  TokenCache* cache_;
  DbLimits limits_;
  PushOne alone_;
  std::size_t max_batch_;
  std::chrono::microseconds spill_;
  std::size_t depth_;
  HttpServer* server_ = nullptr;
  Offload offload_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  mutable std::mutex mutex_;
  std::vector<Lane*> free_;
  std::vector<Job> pending_;  // oldest first
  Stats stats_;
};

}  // namespace mcgw
