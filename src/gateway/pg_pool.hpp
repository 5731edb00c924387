// A bounded pool of libpq connections, shared by the HTTP worker threads. Connections are
// opened on demand and dropped when broken or left inside a transaction, so a failed request
// never hands a dirty session to the next one.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

namespace mcgw {

class Pool {
 public:
  // statement_timeout_ms > 0 is set on each new connection (session level), once: per request
  // it cost a GUC change and its reset at commit in every transaction.
  Pool(std::string conninfo, std::size_t size, int statement_timeout_ms = 0);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // A connection for the duration of one request; returned to the pool by the destructor.
  class Lease {
   public:
    Lease(Pool* pool, PGconn* conn) : pool_(pool), conn_(conn) {}
    Lease(Lease&& other) noexcept
        : pool_(other.pool_), conn_(other.conn_), discard_(other.discard_) {
      other.conn_ = nullptr;
    }
    Lease(const Lease&) = delete;
    ~Lease() {
      if (conn_) pool_->release(conn_, discard_);
    }
    PGconn* get() const { return conn_; }
    // Closes the connection when the lease ends instead of returning it to the pool.
    void discard() { discard_ = true; }

   private:
    Pool* pool_;
    PGconn* conn_;
    bool discard_ = false;
  };

  // Throws DbError (SQLSTATE 08001 or 53300) when no connection can be had in `wait`.
  Lease acquire(std::chrono::milliseconds wait);

  // Closes the idle connections (after one was found broken: the server may have restarted).
  void drop_idle();

  std::size_t size() const { return size_; }
  std::size_t in_use() const;
  std::size_t open() const;

 private:
  void release(PGconn* conn, bool discard);

  std::string conninfo_;
  std::size_t size_;
  int statement_timeout_ms_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<PGconn*> idle_;
  std::size_t open_ = 0;  // idle + leased
  std::size_t leased_ = 0;
};

}  // namespace mcgw
