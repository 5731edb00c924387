// The transfer loop shared by the SMTP and HTTP senders: libcurl's multi interface driven by
// curl_multi_socket_action and one poll(2) over every socket, so no single connection blocks the
// others and the caller decides how long a call may wait.
//
// Connection slots. The engine owns `max_connections` slots; each slot is its own CURLM whose
// connection cache holds at most one connection (CURLMOPT_MAX_TOTAL_CONNECTIONS = 1,
// CURLMOPT_MAXCONNECTS = 1). A slot runs one transfer at a time and its connection is reused by
// the next transfer on that slot (SMTP: no new EHLO/STARTTLS/AUTH). So the engine knows which
// connection a transfer used (libcurl 7.88 has no CURLINFO_CONN_ID) and can count messages per
// connection: the transfer that reaches max_messages_per_connection gets CURLOPT_FORBID_REUSE,
// and curl closes (SMTP: QUITs) that connection after it. Jobs beyond the free slots wait in the
// engine's queue, not in curl's (whose waiting would count against CURLOPT_TIMEOUT_MS).
//
// Rate: a token bucket (max_per_second) admits jobs into slots; poll's wait is shortened to the
// next token when jobs wait for one.
//
// Exception safety: curl callbacks never let an exception out (they catch and abort the
// transfer); a Transfer whose setup throws completes with that error without reaching curl.
// Not thread-safe: one engine per thread (a background worker has one thread).
#pragma once

#include "delivery/token_bucket.hpp"

#include <curl/curl.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace mc::delivery {

// One unit of work: how to configure an easy handle, and what to do with the result.
class Transfer {
 public:
  virtual ~Transfer() = default;
  // Configures a freshly reset easy handle (the engine then sets NOSIGNAL, PRIVATE, ERRORBUFFER
  // and FORBID_REUSE). May throw: the transfer then completes through setup_failed().
  virtual void setup(CURL* easy) = 0;
  // The transfer ended: `code` is curl's result, `error` its error buffer (may be empty),
  // `new_connection` whether it opened a connection. Must not throw.
  virtual void finish(CURL* easy, CURLcode code, const char* error,
                      bool new_connection) noexcept = 0;
  // setup() threw `what`. Must not throw.
  virtual void setup_failed(const char* what) noexcept = 0;
};

// Trusts the PEM certificates `pem` (a provider's options.tls_ca) instead of the system's for
// TLS on `easy`; nothing when empty. libcurl copies the bytes.
void set_tls_ca(CURL* easy, const std::string& pem);

struct EngineLimits {
  int max_connections = 4;
  int max_messages_per_connection = 0;  // 0: unlimited
  double max_per_second = 0;            // 0: unlimited
  // A rate limit shared with another sender of the same provider (HttpSender's native client);
  // not owned. nullptr: the engine's own, of max_per_second.
  TokenBucket* shared_bucket = nullptr;
};

// A socket to wait for, and what for (the external-wait API below).
struct WaitSocket {
  int fd;
  bool read;
  bool write;
};
// What the wait found on a socket.
struct ReadySocket {
  int fd;
  bool readable;
  bool writable;
  bool error;
};

struct EngineStats {
  std::uint64_t connections_opened = 0;  // transfers that opened a connection
  std::uint64_t transfers_done = 0;
};

class CurlEngine {
 public:
  explicit CurlEngine(EngineLimits limits);
  ~CurlEngine();
  CurlEngine(const CurlEngine&) = delete;
  CurlEngine& operator=(const CurlEngine&) = delete;

  // Queues a transfer; never blocks, never touches the network.
  void add(std::unique_ptr<Transfer> transfer);
  // Starts queued transfers on free slots (as the rate allows), then waits up to timeout_ms for
  // socket activity or curl timers and lets curl progress. Returns as soon as at least one
  // transfer has completed (or right away when some already wait in take_completed), when
  // timeout_ms has passed, or when nothing is queued or in flight. timeout_ms 0: one
  // non-blocking round. Returns the number of completed transfers waiting to be taken.
  // Note: libcurl reads the reply to SMTP's final "." in a blocking wait (curl#4015), bounded by
  // CURLOPT_SERVER_RESPONSE_TIMEOUT: one such wait can outlast timeout_ms.
  std::size_t poll(int timeout_ms);
  // Completed transfers, in completion order; the engine forgets them.
  std::vector<std::unique_ptr<Transfer>> take_completed();

  // External wait, for a caller that waits on its own event set (a PostgreSQL worker's
  // WaitEventSet with its latch, WL_SOCKET_READABLE/WRITEABLE per socket) instead of poll():
  //   1. sockets = wait_sockets(); timeout = wait_timeout_ms()   (-1: none; 0: work is due now)
  //   2. wait on the latch + those sockets for at most min(timeout, own limit)
  //   3. process(ready sockets, possibly none); take_completed()
  // The socket set changes between calls: rebuild the wait set each round (PostgreSQL 15 cannot
  // remove an event from a WaitEventSet). poll() is exactly this loop around poll(2).
  std::vector<WaitSocket> wait_sockets() const;
  long wait_timeout_ms();
  // Lets curl act on the ready sockets and on expired timers, collects finished transfers and
  // starts queued ones on free slots (as the rate allows).
  void process(const std::vector<ReadySocket>& ready);

  std::size_t queued() const { return queue_.size(); }
  std::size_t in_flight() const;
  bool idle() const { return queue_.empty() && in_flight() == 0; }
  const EngineStats& stats() const { return stats_; }

 private:
  struct Slot;
  void admit(std::int64_t now_ms);
  void start_on(Slot& slot, std::unique_ptr<Transfer> t);
  void collect(Slot& slot);
  void drive(int wait_ms);

  EngineLimits limits_;
  TokenBucket own_bucket_;
  TokenBucket& bucket_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::deque<std::unique_ptr<Transfer>> queue_;
  std::vector<std::unique_ptr<Transfer>> completed_;
  EngineStats stats_;
};

// Monotonic milliseconds (steady clock), the engine's notion of now.
std::int64_t monotonic_ms();

}  // namespace mc::delivery
