#include "gateway/push_lanes.hpp"

#include <poll.h>
#include <sys/epoll.h>

#include <chrono>
#include <tuple>
#include <iostream>

#include "gateway/db_error.hpp"

namespace mcgw {
namespace {

// The statements of push_alone.cpp and db_session.cpp, prepared once on each lane.
const char* const kRoleName = "mcgw_lane_role";
const char* const kOneName = "mcgw_lane_one";
const char* const kManyName = "mcgw_lane_many";
const char* const kSetRole = "SELECT pg_catalog.set_config('role', $1, true)";
const char* const kPushMany =
    "SELECT t.id::text FROM mc.push_events_json($1, $2) WITH ORDINALITY AS t (id, n) "
    "ORDER BY t.n";

thread_local bool t_defer = false;
thread_local bool t_dirty = false;

}  // namespace

void PushLanes::defer_sends_on_this_thread() { t_defer = true; }

void PushLanes::round_end() {
  if (!t_dirty) return;
  t_dirty = false;
  poke();
}

PushLanes::PushLanes(Pool& pool, TokenCache* cache, std::size_t lanes, DbLimits limits,
                     PushOne alone, std::size_t max_batch, std::chrono::microseconds spill,
                     std::size_t depth)
    : pool_(pool),
      cache_(cache),
      limits_(limits),
      alone_(std::move(alone)),
      max_batch_(std::max<std::size_t>(max_batch, 1)),
      spill_(spill),
      depth_(std::max<std::size_t>(depth, 1)) {
  for (std::size_t i = 0; i < lanes; ++i) {
    lanes_.push_back(std::make_unique<Lane>(this));
    free_.push_back(lanes_.back().get());
  }
  stats_.free_lanes = lanes;
}

PushLanes::~PushLanes() {
  for (auto& l : lanes_)
    if (l->lease) l->lease->discard();  // in pipeline mode: never handed back to the pool
}

bool PushLanes::submit(const std::string& token, std::string event, std::string queue, Done done) {
  if (lanes_.empty() || !cache_ || !server_ || token.empty()) return false;
  std::optional<std::string> role = cache_->find(token);
  if (!role) return false;
  Outgoing out;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_.push_back(
        {token, std::move(event), std::move(queue), std::move(*role), std::move(done), "", {}});
    if (t_defer)
      t_dirty = true;
    else
      dispatch(&out);
  }
  send_all(out);
  return true;
}

// A connected lane whose batches are moving and that has room in its pipeline; else none while
// any lane is moving (it takes the queue when its oldest batch's result arrives); else a free
// lane (every busy lane has been on its oldest batch longer than the spill time: a lock).
PushLanes::Lane* PushLanes::lane_for_new_batch() {
  auto now = std::chrono::steady_clock::now();
  Lane* best = nullptr;
  bool moving = false;
  for (const auto& l : lanes_) {
    if (l->in_flight == 0 || now - l->busy_since >= spill_) continue;
    moving = true;
    if (l->ready && l->in_flight < depth_ && (!best || l->in_flight < best->in_flight))
      best = l.get();
  }
  if (best || moving || free_.empty()) return best;
  Lane* lane = free_.back();
  free_.pop_back();
  return lane;
}

void PushLanes::dispatch(Outgoing* out) {
  while (!pending_.empty()) {
    Lane* lane = lane_for_new_batch();
    if (!lane) return;
    out->emplace_back(lane, take_batch(lane));
  }
}

void PushLanes::send_all(Outgoing& out) {
  for (auto& [lane, batch] : out) send(lane, std::move(batch));
}

void PushLanes::poke() {
  Outgoing out;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    dispatch(&out);
  }
  send_all(out);
}

// The oldest queued push and every other queued for its role and queue, for the lane.
PushLanes::Batch PushLanes::take_batch(Lane* lane) {
  if (lane->in_flight++ == 0) lane->busy_since = std::chrono::steady_clock::now();
  Batch b;
  const std::string role = pending_.front().role;
  const std::string queue = pending_.front().queue;
  std::vector<Job> rest;
  rest.reserve(pending_.size());
  for (Job& j : pending_) {
    if (b.jobs.size() < max_batch_ && j.role == role && j.queue == queue)
      b.jobs.push_back(std::move(j));
    else
      rest.push_back(std::move(j));
  }
  pending_.swap(rest);
  ++stats_.batches;
  stats_.batched_events += b.jobs.size();
  return b;
}

// n of the lane's batches finished (or were never sent): the next under way started now; an
// idle lane is free again; the queue goes out on what is available.
void PushLanes::release(Lane* lane, std::size_t n) {
  Outgoing out;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    lane->in_flight -= std::min(n, lane->in_flight);
    if (lane->in_flight > 0)
      lane->busy_since = std::chrono::steady_clock::now();
    else if (n > 0)
      free_.push_back(lane);
    dispatch(&out);
  }
  send_all(out);
}

// Under lane->mu.
bool PushLanes::connect(Lane* lane) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    lane->lease.emplace(pool_.acquire(std::chrono::milliseconds(limits_.pool_wait_ms)));
    PGconn* conn = lane->lease->get();
    bool ok = true;
    for (auto [name, sql, n] :
         {std::tuple{kRoleName, kSetRole, 1}, std::tuple{kOneName, kPushOneSql, 2},
          std::tuple{kManyName, kPushMany, 2}}) {
      Result r(PQprepare(conn, name, sql, n, nullptr));
      if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
        ok = false;
        break;
      }
    }
    if (ok && PQsetnonblocking(conn, 1) == 0 && PQenterPipelineMode(conn)) {
      lane->fd = PQsocket(conn);
      lane->watched = 0;
      std::lock_guard<std::mutex> lock(mutex_);
      lane->ready = true;
      return true;
    }
    DbError e = error_of(conn, nullptr);
    lane->lease->discard();
    lane->lease.reset();
    if (attempt == 0 && e.sqlstate.rfind("08", 0) == 0) {
      pool_.drop_idle();  // a stale pooled connection: its siblings most likely too
      continue;
    }
    throw e;
  }
  return false;
}

// Under lane->mu.
void PushLanes::drop(Lane* lane) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    lane->ready = false;
  }
  if (!lane->lease) return;
  if (lane->watched && server_) server_->unwatch(lane->fd);
  lane->watched = 0;
  lane->lease->discard();
  lane->lease.reset();
  lane->fd = -1;
}

// Sends a batch on its lane: the role, then the push, then a Sync (one implicit transaction,
// one round trip), behind the batches already under way there (pipeline mode: each its own
// transaction, their results in order). On any thread, the lane's mutex held while its
// connection is used: an event loop (may_block false) or a worker (connecting).
void PushLanes::send(Lane* lane, Batch b, bool may_block) {
  // A push whose remembered role changed since it was queued (cleared on a change to
  // mc.api_token, or forgotten after failing) goes the blocking way: its lookup decides.
  std::vector<Job> aside;
  const std::string role = b.jobs.front().role;
  for (auto it = b.jobs.begin(); it != b.jobs.end();) {
    std::optional<std::string> now = cache_->find(it->token);
    if (!now || *now != role) {
      it->alone = true;
      aside.push_back(std::move(*it));
      it = b.jobs.erase(it);
    } else {
      ++it;
    }
  }
  if (b.jobs.empty()) {
    release(lane, 1);
    complete(aside);
    return;
  }
  std::vector<Job> failed;  // every push of the lane when its connection failed
  {
    std::unique_lock<std::mutex> lock(lane->mu);
    try {
      // An idle connection with something to read was closed by the server (a restart): its
      // exchange could fail after committing, so it is replaced before anything is sent.
      // (Checked after 50 ms idle only: under load a lane goes from batch to batch.)
      bool idle_long =
          lane->sent.empty() && lane->was_idle &&
          std::chrono::steady_clock::now() - lane->idle_since > std::chrono::milliseconds(50);
      if (lane->sent.empty()) lane->was_idle = false;
      if (lane->lease && idle_long) {
        pollfd p{lane->fd, POLLIN, 0};
        if (poll(&p, 1, 0) != 0) {
          drop(lane);
          pool_.drop_idle();
        }
      }
      if (!lane->lease && !may_block) {
        // Connecting waits (for the pool, the server): on a worker, never on an event loop.
        lock.unlock();
        auto batch = std::make_shared<Batch>(std::move(b));
        offload_([this, lane, batch] { send(lane, std::move(*batch), true); });
        complete(aside);
        return;
      }
      if (!lane->lease) connect(lane);
    } catch (const DbError&) {
      lock.unlock();
      for (Job& j : b.jobs) j.error = std::current_exception();
      release(lane, 1);  // the lane is free again; the errors are set
      complete(b.jobs);
      complete(aside);
      return;
    }
    PGconn* conn = lane->lease->get();
    const Job& first = b.jobs.front();
    std::string events;
    const char* role_values[] = {first.role.c_str()};
    const char* push_values[2];
    const char* push_name;
    if (b.jobs.size() == 1) {
      push_name = kOneName;
      push_values[0] = first.event.c_str();
    } else {
      push_name = kManyName;
      std::size_t bytes = 2;
      for (const Job& j : b.jobs) bytes += j.event.size() + 1;
      events.reserve(bytes);
      events.push_back('[');
      for (const Job& j : b.jobs) {
        if (events.size() > 1) events.push_back(',');
        events.append(j.event);
      }
      events.push_back(']');
      push_values[0] = events.c_str();
    }
    push_values[1] = first.queue.c_str();
    bool ok = PQsendQueryPrepared(conn, kRoleName, 1, role_values, nullptr, nullptr, 0) &&
              PQsendQueryPrepared(conn, push_name, 2, push_values, nullptr, nullptr, 0) &&
              PQpipelineSync(conn);
    int flushed = ok ? PQflush(conn) : -1;
    lane->sent.push_back(std::move(b));
    if (flushed < 0) {
      // Nothing, or not all, reached the server before the connection failed; it cannot
      // have committed what it did not receive whole, but that is not known: in doubt (and
      // so are the batches sent before it on this connection).
      auto e = std::make_exception_ptr(error_of(conn, nullptr));
      drop(lane);
      for (Batch& s : lane->sent)
        for (Job& j : s.jobs) {
          j.error = e;
          failed.push_back(std::move(j));
        }
      std::size_t n = lane->sent.size();
      lane->sent.clear();
      lane->was_idle = true;
      lane->idle_since = std::chrono::steady_clock::now();
      lock.unlock();
      release(lane, n);
      complete(failed);
      complete(aside);
      return;
    }
    watch(lane, EPOLLIN | (flushed == 1 ? static_cast<unsigned>(EPOLLOUT) : 0u));
  }
  complete(aside);
}

// Under lane->mu. With several event loops every wake-up is one-shot: asked for again each
// time. With one the lane stays in the set (level-triggered; an idle one too, so that a
// connection the server closes is noticed and dropped at once): a system call only when the
// events change (EPOLLOUT while libpq still has bytes to send).
void PushLanes::watch(Lane* lane, unsigned events) {
  if (server_->level_triggered() && lane->watched == events) return;
  bool add = lane->watched == 0;
  lane->watched = events;
  if (!server_->watch(lane->fd, lane, events, add))
    std::cerr << "mc-gateway: cannot watch a push lane's connection\n";
}

void PushLanes::on_lane_event(Lane* lane, unsigned events) {
  std::vector<Batch> done;
  std::optional<DbError> broken;  // the connection: every batch under way in doubt
  {
    std::lock_guard<std::mutex> lock(lane->mu);
    if (!lane->lease) return;  // dropped since (a stale event)
    PGconn* conn = lane->lease->get();
    bool more = true;  // to read on
    if (events & EPOLLOUT) {
      int f = PQflush(conn);
      if (f < 0) {
        broken = error_of(conn, nullptr);
      } else if (f == 1) {
        watch(lane, EPOLLIN | EPOLLOUT);
        more = false;
      }
    }
    if (more && !broken && !PQconsumeInput(conn)) broken = error_of(conn, nullptr);
    int nulls = 0;
    while (more && !broken && !lane->sent.empty() && !PQisBusy(conn)) {
      Result r(PQgetResult(conn));
      if (!r) {  // the end of one statement's results
        if (++nulls > 2) broken = DbError("XX000", "a push lane lost its Sync", "");
        continue;
      }
      nulls = 0;
      Batch& b = lane->sent.front();
      ExecStatusType st = PQresultStatus(r.get());
      if (st == PGRES_PIPELINE_SYNC) {
        // The role's result, then the push's (or PIPELINE_ABORTED after a failed role).
        if (b.results.size() != 2) {
          broken = DbError("XX000", "unexpected results in a push lane", "");
          break;
        }
        std::optional<DbError> refused;
        for (std::size_t i = 0; i < 2 && !refused; ++i) {
          ExecStatusType s = PQresultStatus(b.results[i].get());
          if (s != PGRES_TUPLES_OK && s != PGRES_PIPELINE_ABORTED)
            refused = error_of(conn, b.results[i].get());
        }
        if (!refused && PQresultStatus(b.results[1].get()) != PGRES_TUPLES_OK)
          refused = DbError("XX000", "the push did not run", "");
        done.push_back(std::move(b));
        lane->sent.pop_front();
        bool retried = false;
        settle(done.back(), refused, &retried);
        if (retried) {
          std::lock_guard<std::mutex> l(mutex_);
          ++stats_.retried_batches;
        }
        continue;  // the next batch's results may be here too
      }
      if (st == PGRES_FATAL_ERROR && PQstatus(conn) != CONNECTION_OK) {
        broken = error_of(conn, r.get());
        break;
      }
      b.results.push_back(std::move(r));
    }
    if (!broken && PQstatus(conn) != CONNECTION_OK) broken = error_of(conn, nullptr);
    if (broken) {
      auto e = std::make_exception_ptr(*broken);
      for (Batch& b : lane->sent) {
        for (Job& j : b.jobs) j.error = e;
        b.results.clear();
        done.push_back(std::move(b));
      }
      lane->sent.clear();
      drop(lane);
    } else if (more && (!lane->sent.empty() || server_->level_triggered())) {
      watch(lane, EPOLLIN);  // level-triggered: a change only after waiting to send
    }
    if (lane->sent.empty()) {
      lane->was_idle = true;
      lane->idle_since = std::chrono::steady_clock::now();
    }
  }
  if (done.empty()) return;
  release(lane, done.size());  // before the answers: the next batch leaves at once
  for (Batch& b : done) complete(b.jobs);
}

// A batch's outcome (error: refused and rolled back) to each of its pushes.
void PushLanes::settle(Batch& b, std::optional<DbError> error, bool* retried) {
  std::vector<Job>& jobs = b.jobs;
  if (error) {
    if (jobs.size() == 1 && b.results.size() == 2 &&
        PQresultStatus(b.results[0].get()) == PGRES_TUPLES_OK) {
      jobs[0].error = std::make_exception_ptr(*error);  // the push itself was refused
    } else {
      // Refused and rolled back (an event, the role, its privileges): each again alone, the
      // blocking way, for its own answer (a stale role is looked up there).
      *retried = jobs.size() > 1;
      for (Job& j : jobs) j.alone = true;
    }
  } else {
    const PGresult* r = b.results[1].get();
    if (static_cast<std::size_t>(PQntuples(r)) != jobs.size()) {
      // Committed, but which id is whose is unknown: never retried.
      auto e =
          std::make_exception_ptr(DbError("XX000",
                                          "the database returned " + std::to_string(PQntuples(r)) +
                                              " ids for " + std::to_string(jobs.size()) + " events",
                                          ""));
      for (Job& j : jobs) j.error = e;
    } else {
      for (std::size_t i = 0; i < jobs.size(); ++i)
        jobs[i].id = PQgetvalue(r, static_cast<int>(i), 0);
    }
  }
  b.results.clear();
}

void PushLanes::complete(std::vector<Job>& jobs) {
  for (Job& j : jobs) {
    if (!j.alone) {
      j.done(std::move(j.id), j.error);
      continue;
    }
    // The blocking way, on a worker: the event loop goes on.
    auto job = std::make_shared<Job>(std::move(j));
    offload_([this, job] {
      try {
        job->id = alone_(limits_, job->token, job->event, job->queue);
      } catch (...) {
        job->error = std::current_exception();
      }
      job->done(std::move(job->id), job->error);
    });
  }
}

PushLanes::Stats PushLanes::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  Stats s = stats_;
  s.queued = pending_.size();
  s.free_lanes = free_.size();
  return s;
}

}  // namespace mcgw
