#include "gateway/push_batcher.hpp"

#include <algorithm>
#include <exception>
#include <memory>
#include <optional>

#include "gateway/db_error.hpp"

namespace mcgw {
namespace {

// One event, exactly as before batching existed.
const char* const kPushOne = "SELECT mc.push_event($1::jsonb, $2)::text";
// Several: one JSON array (mc.push_events_json reads the text once), ids in array order.
const char* const kPushMany =
    "SELECT t.id::text FROM mc.push_events_json($1, $2) WITH ORDINALITY AS t (id, n) "
    "ORDER BY t.n";

}  // namespace

// Wakes one waiting request. Shared with the thread that wakes it, so that it may be woken after
// the batcher's lock is released (a thread woken under that lock would at once block on it
// again: two more context switches per request).
struct Waker {
  std::mutex m;
  std::condition_variable cv;
  bool woken = false;
  void wait() {
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [&] { return woken; });
  }
  void wake() {
    {
      std::lock_guard<std::mutex> lock(m);
      woken = true;
    }
    cv.notify_one();
  }
};

struct PushBatcher::Job {
  const std::string* token;
  const std::string* event;
  const std::string* queue;
  std::string role;  // what the token cache remembered for the token
  State state = kWaiting;
  std::string id;
  std::exception_ptr error;
  std::shared_ptr<Waker> waker = std::make_shared<Waker>();
};

PushBatcher::PushBatcher(PushOne one, PushMany many, TokenCache* cache, std::size_t lanes,
                         std::size_t max_batch)
    : one_(std::move(one)),
      many_(std::move(many)),
      cache_(cache),
      lanes_(lanes),
      max_batch_(std::max<std::size_t>(max_batch, 1)),
      free_lanes_(lanes) {}

std::string push_alone(Pool& pool, const DbLimits& limits, TokenCache* cache,
                       const std::string& token, const std::string& event,
                       const std::string& queue) {
  if (token.empty()) throw AuthError("no API token");
  Result r = run_one_as_token(pool, limits, cache, token, kPushOne, {event, queue});
  if (PQntuples(r.get()) != 1) throw DbError("XX000", "the database returned no event id", "");
  return std::string(PQgetvalue(r.get(), 0, 0));
}

PushBatcher::PushBatcher(Pool& pool, TokenCache* cache, std::size_t lanes, std::size_t max_batch)
    : PushBatcher(
          [&pool, cache](const DbLimits& limits, const std::string& token, const std::string& event,
                         const std::string& queue) {
            return push_alone(pool, limits, cache, token, event, queue);
          },
          [&pool](const DbLimits& limits, const std::string& role, std::string events,
                  const std::string& queue, bool* in_doubt) {
            std::size_t failed = 0;
            Result r = run_one_as_role(pool, limits, role, kPushMany, {std::move(events), queue},
                                       &failed, in_doubt);
            std::vector<std::string> ids;
            for (int i = 0; i < PQntuples(r.get()); ++i)
              ids.emplace_back(PQgetvalue(r.get(), i, 0));
            return ids;
          },
          cache, lanes, max_batch) {}

std::string PushBatcher::push(const DbLimits& limits, const std::string& token,
                              const std::string& event, const std::string& queue) {
  auto alone = [&] { return one_(limits, token, event, queue); };
  if (token.empty()) throw AuthError("no API token");
  // Batches are by role: a token whose role is not remembered (its first request, or no
  // cache) goes alone, and its lookup remembers the role for the next ones.
  std::optional<std::string> role = cache_ && lanes_ > 0 ? cache_->find(token) : std::nullopt;
  if (!role) return alone();

  Job job;
  job.token = &token;
  job.event = &event;
  job.queue = &queue;
  job.role = std::move(*role);
  std::unique_lock<std::mutex> lock(mutex_);
  if (free_lanes_ > 0) {
    --free_lanes_;
    job.state = kLead;
  } else {
    // Queued until a leader takes this push into its batch (and sets its outcome) or hands it
    // its lane (kLead); either is written under mutex_ before the wake, read after it.
    pending_.push_back(&job);
    lock.unlock();
    job.waker->wait();
    if (job.state == kLead) lock.lock();
  }
  if (job.state == kLead) {
    // This request holds a lane: it leaves with itself and everything queued for its role and
    // queue, oldest first.
    std::vector<Job*> batch{&job};
    for (auto it = pending_.begin(); it != pending_.end() && batch.size() < max_batch_;) {
      if ((*it)->role == job.role && *(*it)->queue == queue) {
        batch.push_back(*it);
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
    lock.unlock();
    std::vector<State> states(batch.size(), kDone);
    bool retried = false;
    try {
      retried = run(limits, batch, states);
    } catch (...) {  // out of memory: the lane must still be handed on, every push answered
      for (Job* j : batch) j->error = std::current_exception();
    }
    std::shared_ptr<Waker> next_leader;
    lock.lock();
    ++stats_.batches;
    stats_.batched_events += batch.size();
    if (retried) ++stats_.retried_batches;
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i]->state = states[i];
    // The lane goes to the oldest queued request (out of the queue: no other batch may take it,
    // and it is handed one lane only), or back to the free ones.
    if (!pending_.empty()) {
      Job* next = pending_.front();
      pending_.erase(pending_.begin());
      next->state = kLead;
      next_leader = next->waker;
    } else {
      ++free_lanes_;
    }
    lock.unlock();
    // A woken push may return at once and its Job go: each waker is held by a copy while it is
    // woken, and a job is not touched after its wake.
    for (Job* j : batch) {
      if (j == &job) continue;
      std::shared_ptr<Waker> w = j->waker;
      w->wake();
    }
    if (next_leader) next_leader->wake();
  } else if (lock.owns_lock()) {
    lock.unlock();
  }
  if (job.state == kAlone) return alone();
  if (job.error) std::rethrow_exception(job.error);
  return job.id;
}

// Runs a batch: each job's id or error, and in states[i] whether batch[i] is done or must be
// pushed alone. Database errors are caught here (push() catches the rest: the lane must be
// handed on). Returns whether the batch was refused and its events are retried alone. The
// results are written here without the lock and read by their threads after the leader
// published the states under it.
bool PushBatcher::run(const DbLimits& limits, const std::vector<Job*>& batch,
                      std::vector<State>& states) {
  std::vector<Job*> sent;
  // A token whose remembered role changed since it was queued (the listener cleared the cache
  // on a change to mc.api_token, or the role failed and was forgotten) goes alone: its lookup
  // decides.
  for (std::size_t i = 0; i < batch.size(); ++i) {
    Job* j = batch[i];
    std::optional<std::string> role = cache_ ? cache_->find(*j->token) : std::nullopt;
    if (!role || *role != batch[0]->role)
      states[i] = kAlone;
    else
      sent.push_back(j);
  }
  bool retried = false;
  if (sent.empty()) {
    // Nothing left to send together.
  } else if (sent.size() == 1) {
    // One event: the unbatched statement and path (stale roles and lookups handled there).
    Job* j = sent[0];
    try {
      j->id = one_(limits, *j->token, *j->event, *j->queue);
    } catch (...) {
      j->error = std::current_exception();
    }
  } else {
    std::string events;
    std::size_t bytes = 2;
    for (Job* j : sent) bytes += j->event->size() + 1;
    events.reserve(bytes);
    events.push_back('[');
    for (Job* j : sent) {
      if (events.size() > 1) events.push_back(',');
      events.append(*j->event);
    }
    events.push_back(']');
    bool in_doubt = false;
    try {
      std::vector<std::string> ids =
          many_(limits, batch[0]->role, std::move(events), *batch[0]->queue, &in_doubt);
      if (ids.size() != sent.size()) {
        in_doubt = true;  // committed, but which id is whose is unknown: never retried
        throw DbError("XX000",
                      "the database returned " + std::to_string(ids.size()) + " ids for " +
                          std::to_string(sent.size()) + " events",
                      "");
      }
      for (std::size_t k = 0; k < sent.size(); ++k) sent[k]->id = std::move(ids[k]);
    } catch (const DbError&) {
      // Refused (an event, the role, its privileges) and rolled back: each request again alone,
      // for its own answer. A broken exchange may have committed: nothing is retried.
      retried = !in_doubt;
      for (Job* j : sent) {
        if (in_doubt) j->error = std::current_exception();
      }
    } catch (...) {
      for (Job* j : sent) j->error = std::current_exception();
    }
  }
  if (retried)
    for (State& s : states)
      if (s == kDone) s = kAlone;
  return retried;
}

PushBatcher::Stats PushBatcher::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  Stats s = stats_;
  s.queued = pending_.size();
  s.free_lanes = free_lanes_;
  return s;
}

}  // namespace mcgw
