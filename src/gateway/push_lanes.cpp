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

}  // namespace

PushLanes::PushLanes(Pool& pool, TokenCache* cache, std::size_t lanes, DbLimits limits,
                     PushOne alone, std::size_t max_batch, std::chrono::microseconds spill)
    : pool_(pool),
      cache_(cache),
      limits_(limits),
      alone_(std::move(alone)),
      max_batch_(std::max<std::size_t>(max_batch, 1)),
      spill_(spill) {
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
  Lane* lane = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_.push_back(
        {token, std::move(event), std::move(queue), std::move(*role), std::move(done), "", {}});
    lane = lane_for_new_batch();
    if (lane) take_batch(lane);
  }
  if (lane) send(lane);
  return true;
}

PushLanes::Lane* PushLanes::lane_for_new_batch() {
  if (free_.empty()) return nullptr;
  auto now = std::chrono::steady_clock::now();
  for (const auto& l : lanes_)
    if (l->busy && now - l->busy_since < spill_) return nullptr;  // it will take the queue
  Lane* lane = free_.back();
  free_.pop_back();
  return lane;
}

void PushLanes::poke() {
  while (true) {
    Lane* lane = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (pending_.empty()) return;
      lane = lane_for_new_batch();
      if (!lane) return;
      take_batch(lane);
    }
    send(lane);
  }
}

// The oldest queued push and every other queued for its role and queue, into the lane.
void PushLanes::take_batch(Lane* lane) {
  lane->busy = true;
  lane->busy_since = std::chrono::steady_clock::now();
  lane->batch.clear();
  const std::string role = pending_.front().role;
  const std::string queue = pending_.front().queue;
  std::vector<Job> rest;
  rest.reserve(pending_.size());
  for (Job& j : pending_) {
    if (lane->batch.size() < max_batch_ && j.role == role && j.queue == queue)
      lane->batch.push_back(std::move(j));
    else
      rest.push_back(std::move(j));
  }
  pending_.swap(rest);
  ++stats_.batches;
  stats_.batched_events += lane->batch.size();
}

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
      lane->registered = false;
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

void PushLanes::drop(Lane* lane) {
  if (!lane->lease) return;
  if (lane->registered && server_) server_->unwatch(lane->fd);
  lane->registered = false;
  lane->lease->discard();
  lane->lease.reset();
  lane->fd = -1;
}

// Sends the lane's batch: the role, then the push, then a Sync (one implicit transaction, one
// round trip). On the thread that owns the lane (it is in no one else's hands while busy): an
// event loop (may_block false) or a worker.
void PushLanes::send(Lane* lane, bool may_block) {
  // A push whose remembered role changed since it was queued (cleared on a change to
  // mc.api_token, or forgotten after failing) goes the blocking way: its lookup decides.
  std::vector<Job> aside;
  const std::string role = lane->batch.front().role;
  for (auto it = lane->batch.begin(); it != lane->batch.end();) {
    std::optional<std::string> now = cache_->find(it->token);
    if (!now || *now != role) {
      it->alone = true;
      aside.push_back(std::move(*it));
      it = lane->batch.erase(it);
    } else {
      ++it;
    }
  }
  if (lane->batch.empty()) {
    finish(lane, std::nullopt, false);
    complete(aside);
    return;
  }
  try {
    // An idle connection with something to read was closed by the server (a restart): its
    // exchange could fail after committing, so it is replaced before anything is sent.
    // (Checked after 50 ms idle only: under load a lane goes from batch to batch.)
    bool idle_long = lane->was_idle && std::chrono::steady_clock::now() - lane->idle_since >
                                           std::chrono::milliseconds(50);
    lane->was_idle = false;
    if (lane->lease && idle_long) {
      pollfd p{lane->fd, POLLIN, 0};
      if (poll(&p, 1, 0) != 0) {
        drop(lane);
        pool_.drop_idle();
      }
    }
    if (!lane->lease && !may_block) {
      // Connecting waits (for the pool, the server): on a worker, never on an event loop.
      offload_([this, lane] { send(lane, true); });
      complete(aside);
      return;
    }
    if (!lane->lease) connect(lane);
  } catch (const DbError&) {
    for (Job& j : lane->batch) j.error = std::current_exception();
    finish(lane, std::nullopt, false);  // the lane is free again; the errors are set
    complete(aside);
    return;
  }
  PGconn* conn = lane->lease->get();
  const Job& first = lane->batch.front();
  std::string events;
  const char* role_values[] = {first.role.c_str()};
  const char* push_values[2];
  const char* push_name;
  if (lane->batch.size() == 1) {
    push_name = kOneName;
    push_values[0] = first.event.c_str();
  } else {
    push_name = kManyName;
    std::size_t bytes = 2;
    for (const Job& j : lane->batch) bytes += j.event.size() + 1;
    events.reserve(bytes);
    events.push_back('[');
    for (const Job& j : lane->batch) {
      if (events.size() > 1) events.push_back(',');
      events.append(j.event);
    }
    events.push_back(']');
    push_values[0] = events.c_str();
  }
  push_values[1] = first.queue.c_str();
  lane->results.clear();
  bool sent = PQsendQueryPrepared(conn, kRoleName, 1, role_values, nullptr, nullptr, 0) &&
              PQsendQueryPrepared(conn, push_name, 2, push_values, nullptr, nullptr, 0) &&
              PQpipelineSync(conn);
  int flushed = sent ? PQflush(conn) : -1;
  if (flushed < 0) {
    // Nothing, or not all, reached the server before the connection failed; it cannot
    // have committed what it did not receive whole, but that is not known: in doubt.
    DbError e = error_of(conn, nullptr);
    drop(lane);
    for (Job& j : lane->batch) aside.push_back(std::move(j));
    lane->batch.clear();
    for (Job& j : aside)
      if (!j.alone) j.error = std::make_exception_ptr(e);
    finish(lane, std::nullopt, false);
    complete(aside);
    return;
  }
  unsigned want = EPOLLIN | (flushed == 1 ? static_cast<unsigned>(EPOLLOUT) : 0u);
  bool added = !lane->registered;
  lane->registered = true;
  // After this the lane belongs to the thread that hears of it.
  if (!server_->watch(lane->fd, lane, want, added)) {
    std::cerr << "mc-gateway: cannot watch a push lane's connection\n";
  }
  complete(aside);
}

void PushLanes::on_lane_event(Lane* lane, unsigned events) {
  PGconn* conn = lane->lease->get();
  if (events & EPOLLOUT) {
    int f = PQflush(conn);
    if (f < 0) return finish(lane, error_of(conn, nullptr), true);
    if (f == 1) {
      server_->watch(lane->fd, lane, EPOLLIN | EPOLLOUT, false);
      return;
    }
  }
  if (!PQconsumeInput(conn)) return finish(lane, error_of(conn, nullptr), true);
  int nulls = 0;
  while (!PQisBusy(conn)) {
    Result r(PQgetResult(conn));
    if (!r) {  // the end of one statement's results
      if (++nulls > 2) return finish(lane, DbError("XX000", "a push lane lost its Sync", ""), true);
      continue;
    }
    nulls = 0;
    ExecStatusType st = PQresultStatus(r.get());
    if (st == PGRES_PIPELINE_SYNC) {
      // The role's result, then the push's (or PIPELINE_ABORTED after a failed role).
      if (lane->results.size() != 2)
        return finish(lane, DbError("XX000", "unexpected results in a push lane", ""), true);
      for (std::size_t i = 0; i < 2; ++i) {
        ExecStatusType s = PQresultStatus(lane->results[i].get());
        if (s != PGRES_TUPLES_OK && s != PGRES_PIPELINE_ABORTED)
          return finish(lane, error_of(conn, lane->results[i].get()), false);
      }
      if (PQresultStatus(lane->results[1].get()) != PGRES_TUPLES_OK)
        return finish(lane, DbError("XX000", "the push did not run", ""), false);
      return finish(lane, std::nullopt, false);
    }
    if (st == PGRES_FATAL_ERROR && PQstatus(conn) != CONNECTION_OK)
      return finish(lane, error_of(conn, r.get()), true);
    lane->results.push_back(std::move(r));
  }
  if (PQstatus(conn) != CONNECTION_OK) return finish(lane, error_of(conn, nullptr), true);
  server_->watch(lane->fd, lane, EPOLLIN, false);
}

// The lane's exchange ended (or never started: an empty batch, no connection): the outcome to
// each push, the lane to the next batch or back to the free ones, then the pushes answered.
void PushLanes::finish(Lane* lane, std::optional<DbError> error, bool in_doubt) {
  std::vector<Job> jobs;
  jobs.swap(lane->batch);
  bool retried = false;
  if (in_doubt) {
    drop(lane);
    auto e = std::make_exception_ptr(*error);
    for (Job& j : jobs) j.error = e;
  } else if (error) {
    if (jobs.size() == 1 && lane->results.size() == 2 &&
        PQresultStatus(lane->results[0].get()) == PGRES_TUPLES_OK) {
      jobs[0].error = std::make_exception_ptr(*error);  // the push itself was refused
    } else {
      // Refused and rolled back (an event, the role, its privileges): each again alone, the
      // blocking way, for its own answer (a stale role is looked up there).
      retried = jobs.size() > 1;
      for (Job& j : jobs) j.alone = true;
    }
  } else if (!jobs.empty() && lane->results.size() == 2) {
    const PGresult* r = lane->results[1].get();
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
  lane->results.clear();
  bool next = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (retried) ++stats_.retried_batches;
    if (!pending_.empty()) {
      take_batch(lane);
      next = true;
    } else {
      lane->was_idle = true;
      lane->idle_since = std::chrono::steady_clock::now();
      lane->busy = false;
      free_.push_back(lane);
    }
  }
  if (next) send(lane);  // before the answers: the lane is busy again at once
  complete(jobs);
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
