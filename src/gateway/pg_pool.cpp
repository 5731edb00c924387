#include "gateway/pg_pool.hpp"

#include "gateway/db_error.hpp"

namespace mcgw {

Pool::Pool(std::string conninfo, std::size_t size, int statement_timeout_ms)
    : conninfo_(std::move(conninfo)), size_(size), statement_timeout_ms_(statement_timeout_ms) {}

namespace {

// False when the setting could not be made (the connection is then closed, not used).
bool set_statement_timeout(PGconn* c, int ms) {
  if (ms <= 0) return true;
  std::string value = std::to_string(ms);
  const char* values[] = {value.c_str()};
  PGresult* r = PQexecParams(c, "SELECT pg_catalog.set_config('statement_timeout', $1, false)", 1,
                             nullptr, values, nullptr, nullptr, 0);
  bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
  PQclear(r);
  return ok;
}

}  // namespace

Pool::~Pool() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (PGconn* c : idle_) PQfinish(c);
}

Pool::Lease Pool::acquire(std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!freed_.wait_for(lock, wait, [&] { return !idle_.empty() || open_ < size_; }))
    throw DbError("53300", "no database connection free within the wait limit", "");
  if (!idle_.empty()) {
    PGconn* c = idle_.back();
    idle_.pop_back();
    ++leased_;
    return Lease(this, c);
  }
  // Reserve the slot, then connect without holding the lock (connecting can take a while).
  ++open_;
  ++leased_;
  lock.unlock();
  PGconn* c = PQconnectdb(conninfo_.c_str());
  if (PQstatus(c) != CONNECTION_OK || !set_statement_timeout(c, statement_timeout_ms_)) {
    std::string message = c ? PQerrorMessage(c) : "out of memory";
    PQfinish(c);
    lock.lock();
    --open_;
    --leased_;
    freed_.notify_one();
    while (!message.empty() && message.back() == '\n') message.pop_back();
    throw DbError("08001", "cannot connect to the database", message);
  }
  return Lease(this, c);
}

void Pool::release(PGconn* conn, bool discard) {
  // A connection left in pipeline mode broke in the middle of an exchange: never reused.
  bool reusable = !discard && PQstatus(conn) == CONNECTION_OK &&
                  PQtransactionStatus(conn) == PQTRANS_IDLE &&
                  PQpipelineStatus(conn) == PQ_PIPELINE_OFF;
  if (!reusable) PQfinish(conn);
  std::lock_guard<std::mutex> lock(mutex_);
  --leased_;
  if (reusable)
    idle_.push_back(conn);
  else
    --open_;
  freed_.notify_one();
}

void Pool::drop_idle() {
  std::vector<PGconn*> stale;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stale.swap(idle_);
    open_ -= stale.size();
    freed_.notify_all();
  }
  for (PGconn* c : stale) PQfinish(c);
}

std::size_t Pool::in_use() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return leased_;
}

std::size_t Pool::open() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return open_;
}

}  // namespace mcgw
