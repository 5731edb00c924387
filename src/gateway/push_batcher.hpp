// The blocking group commit of single-event pushes, from before the event-driven front:
// mc-gateway now batches through push_lanes.hpp and uses this class without lanes (push() is
// then push_alone: a token's first request); its batching is kept with its unit tests.
//
// Group commit of single-event pushes (JSON POST of one object, SOAP PushEvent). Requests that
// arrive together for the same role and queue are pushed by one statement
// (mc.push_events_json) in one transaction on one pooled connection, each getting its own id.
//
// Leader/follower, no timer: at most `lanes` batches are in the database at a time. A request
// that finds a lane free leaves at once with everything queued for its role and queue (itself
// at least); the others queue, and when a batch ends its lane goes to the oldest queued
// request, which takes everything queued with it. At low load every request finds a lane free
// and goes alone, as without batching; under load the queue fills while the lanes are busy.
//
// Per-request semantics are kept: a batch that the database refuses (one bad event, a role
// without mc_event_writer, a remembered role that no longer works) is rolled back and each of
// its requests is then pushed alone (mc.push_event, exactly the unbatched path), so each gets
// its own answer. Only a batch whose connection broke mid-exchange (it may have committed)
// gives every request that error, as one request's exchange would.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/db_session.hpp"
#include "gateway/pg_pool.hpp"
#include "gateway/token_cache.hpp"

namespace mcgw {

// One event alone, as the token's role, in one round trip (mc.push_event; the token looked up
// unless remembered): the unbatched path. Returns its id; throws AuthError, DbError.
std::string push_alone(Pool& pool, const DbLimits& limits, TokenCache* cache,
                       const std::string& token, const std::string& event,
                       const std::string& queue);

class PushBatcher {
 public:
  // The database calls, replaceable for tests. One event alone, as the token's role (the
  // unbatched path: lookups and stale remembered roles handled there); returns its id.
  using PushOne = std::function<std::string(const DbLimits& limits, const std::string& token,
                                            const std::string& event, const std::string& queue)>;
  // A JSON array of events as a remembered role, in one transaction; returns their ids in
  // order. Throws DbError with *in_doubt true when the exchange broke (it may have committed).
  using PushMany = std::function<std::vector<std::string>(
      const DbLimits& limits, const std::string& role, std::string events, const std::string& queue,
      bool* in_doubt)>;

  // lanes 0: no batching (every push its own exchange). max_batch bounds the events of a batch.
  PushBatcher(Pool& pool, TokenCache* cache, std::size_t lanes, std::size_t max_batch = 256);
  PushBatcher(PushOne one, PushMany many, TokenCache* cache, std::size_t lanes,
              std::size_t max_batch = 256);
  PushBatcher(const PushBatcher&) = delete;
  PushBatcher& operator=(const PushBatcher&) = delete;

  // Pushes one event (the JSON text of an object) into queue ("rt" or "batch") as the token's
  // role; returns its id. Throws AuthError and DbError as run_one_as_token with
  // mc.push_event would.
  std::string push(const DbLimits& limits, const std::string& token, const std::string& event,
                   const std::string& queue);

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

 private:
  struct Job;
  enum State { kWaiting, kLead, kDone, kAlone };
  bool run(const DbLimits& limits, const std::vector<Job*>& batch, std::vector<State>& states);

  PushOne one_;
  PushMany many_;
  TokenCache* cache_;
  std::size_t lanes_;
  std::size_t max_batch_;
  mutable std::mutex mutex_;
  std::size_t free_lanes_;
  std::vector<Job*> pending_;  // oldest first
  Stats stats_;
};

}  // namespace mcgw
