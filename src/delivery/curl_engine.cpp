#include "delivery/curl_engine.hpp"

#include "delivery/delivery_error.hpp"

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>

namespace mc::delivery {

std::int64_t monotonic_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

namespace {
void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      throw DeliveryError("libcurl: curl_global_init failed");
  });
}
}  // namespace

struct CurlEngine::Slot {
  CURLM* multi = nullptr;
  CURL* easy = nullptr;  // reused for every transfer of the slot (curl_easy_reset between)
  std::unique_ptr<Transfer> current;
  int messages_on_connection = 0;  // transfers completed on the slot's open connection
  bool last_on_connection = false;
  std::map<curl_socket_t, int> sockets;  // socket -> CURL_POLL_IN / OUT / INOUT
  std::int64_t timer_deadline_ms = -1;   // -1: no timer
  char error[CURL_ERROR_SIZE] = {0};

  // CURLMOPT_SOCKETFUNCTION: what to watch on a socket. No throw (std::map may allocate:
  // caught, and the transfer then times out instead of crashing the process).
  static int on_socket(CURL*, curl_socket_t s, int what, void* userp, void*) noexcept {
    auto* slot = static_cast<Slot*>(userp);
    try {
      if (what == CURL_POLL_REMOVE)
        slot->sockets.erase(s);
      else
        slot->sockets[s] = what;
    } catch (...) {
      return -1;
    }
    return 0;
  }
  // CURLMOPT_TIMERFUNCTION: when to call socket_action(CURL_SOCKET_TIMEOUT).
  static int on_timer(CURLM*, long timeout_ms, void* userp) noexcept {
    auto* slot = static_cast<Slot*>(userp);
    slot->timer_deadline_ms = timeout_ms < 0 ? -1 : monotonic_ms() + timeout_ms;
    return 0;
  }
};

CurlEngine::CurlEngine(EngineLimits limits)
    : limits_(limits),
      own_bucket_(limits.max_per_second, std::max(1.0, limits.max_per_second), monotonic_ms()),
      bucket_(limits.shared_bucket ? *limits.shared_bucket : own_bucket_) {
  global_init_once();
  if (limits_.max_connections < 1) limits_.max_connections = 1;
  for (int i = 0; i < limits_.max_connections; ++i) {
    auto slot = std::make_unique<Slot>();
    slot->multi = curl_multi_init();
    slot->easy = curl_easy_init();
    if (!slot->multi || !slot->easy) {
      if (slot->multi) curl_multi_cleanup(slot->multi);
      if (slot->easy) curl_easy_cleanup(slot->easy);
      throw DeliveryError("libcurl: out of memory creating a connection slot");
    }
    curl_multi_setopt(slot->multi, CURLMOPT_SOCKETFUNCTION, &Slot::on_socket);
    curl_multi_setopt(slot->multi, CURLMOPT_SOCKETDATA, slot.get());
    curl_multi_setopt(slot->multi, CURLMOPT_TIMERFUNCTION, &Slot::on_timer);
    curl_multi_setopt(slot->multi, CURLMOPT_TIMERDATA, slot.get());
    curl_multi_setopt(slot->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, 1L);
    curl_multi_setopt(slot->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 1L);
    curl_multi_setopt(slot->multi, CURLMOPT_MAXCONNECTS, 1L);
    slots_.push_back(std::move(slot));
  }
}

CurlEngine::~CurlEngine() {
  for (auto& slot : slots_) {
    if (slot->current) curl_multi_remove_handle(slot->multi, slot->easy);
    curl_easy_cleanup(slot->easy);
    curl_multi_cleanup(slot->multi);  // closes the cached connection (SMTP: QUIT)
  }
}

void CurlEngine::add(std::unique_ptr<Transfer> transfer) { queue_.push_back(std::move(transfer)); }

std::size_t CurlEngine::in_flight() const {
  return static_cast<std::size_t>(std::count_if(
      slots_.begin(), slots_.end(), [](const auto& s) { return s->current != nullptr; }));
}

void CurlEngine::start_on(Slot& slot, std::unique_ptr<Transfer> t) {
  curl_easy_reset(slot.easy);
  try {
    t->setup(slot.easy);
  } catch (const std::exception& e) {
    t->setup_failed(e.what());
    completed_.push_back(std::move(t));
    return;
  } catch (...) {
    t->setup_failed("unknown error while preparing the transfer");
    completed_.push_back(std::move(t));
    return;
  }
  slot.error[0] = '\0';
  curl_easy_setopt(slot.easy, CURLOPT_NOSIGNAL, 1L);  // PostgreSQL owns the signal handlers
  curl_easy_setopt(slot.easy, CURLOPT_ERRORBUFFER, slot.error);
  curl_easy_setopt(slot.easy, CURLOPT_PRIVATE, &slot);
  slot.last_on_connection = limits_.max_messages_per_connection > 0 &&
                            slot.messages_on_connection + 1 >= limits_.max_messages_per_connection;
  curl_easy_setopt(slot.easy, CURLOPT_FORBID_REUSE, slot.last_on_connection ? 1L : 0L);
  CURLMcode rc = curl_multi_add_handle(slot.multi, slot.easy);
  if (rc != CURLM_OK) {
    t->setup_failed(curl_multi_strerror(rc));
    completed_.push_back(std::move(t));
    return;
  }
  slot.current = std::move(t);
}

void CurlEngine::admit(std::int64_t now_ms) {
  for (auto& slot : slots_) {
    if (queue_.empty()) return;
    if (slot->current) continue;
    if (!bucket_.try_take(now_ms)) return;
    auto t = std::move(queue_.front());
    queue_.pop_front();
    start_on(*slot, std::move(t));
  }
}

void CurlEngine::collect(Slot& slot) {
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(slot.multi, &left)) {
    if (msg->msg != CURLMSG_DONE || msg->easy_handle != slot.easy || !slot.current) continue;
    CURLcode code = msg->data.result;
    long connects = 0;
    curl_easy_getinfo(slot.easy, CURLINFO_NUM_CONNECTS, &connects);
    bool new_connection = connects > 0;
    if (new_connection) ++stats_.connections_opened;
    ++stats_.transfers_done;
    slot.current->finish(slot.easy, code, slot.error, new_connection);
    curl_multi_remove_handle(slot.multi, slot.easy);
    // Count messages on the slot's connection; curl closes it after a failed SMTP transfer
    // and after FORBID_REUSE, so the next transfer starts a fresh count.
    if (code != CURLE_OK || slot.last_on_connection)
      slot.messages_on_connection = 0;
    else
      slot.messages_on_connection = new_connection ? 1 : slot.messages_on_connection + 1;
    completed_.push_back(std::move(slot.current));
  }
}

std::vector<WaitSocket> CurlEngine::wait_sockets() const {
  std::vector<WaitSocket> out;
  for (const auto& slot : slots_)
    for (const auto& [s, what] : slot->sockets)
      out.push_back(WaitSocket{s, (what & CURL_POLL_IN) != 0, (what & CURL_POLL_OUT) != 0});
  return out;
}

long CurlEngine::wait_timeout_ms() {
  std::int64_t now = monotonic_ms();
  long wait = -1;
  auto lower = [&](std::int64_t ms) {
    long v = static_cast<long>(std::max<std::int64_t>(0, ms));
    wait = wait < 0 ? v : std::min(wait, v);
  };
  for (const auto& slot : slots_)
    if (slot->timer_deadline_ms >= 0) lower(slot->timer_deadline_ms - now);
  if (!completed_.empty()) lower(0);
  if (!queue_.empty() && in_flight() < slots_.size()) lower(bucket_.wait_ms(now));
  return wait;
}

void CurlEngine::process(const std::vector<ReadySocket>& ready) {
  int running = 0;
  for (const ReadySocket& r : ready) {
    int mask = (r.readable ? CURL_CSELECT_IN : 0) | (r.writable ? CURL_CSELECT_OUT : 0) |
               (r.error ? CURL_CSELECT_ERR : 0);
    // Find the slot that watches this socket (a socket belongs to one connection, one slot).
    for (auto& slot : slots_)
      if (slot->sockets.count(r.fd)) {
        curl_multi_socket_action(slot->multi, r.fd, mask, &running);
        break;
      }
  }
  std::int64_t now = monotonic_ms();
  for (auto& slot : slots_) {
    if (slot->timer_deadline_ms >= 0 && slot->timer_deadline_ms <= now) {
      slot->timer_deadline_ms = -1;
      curl_multi_socket_action(slot->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
    collect(*slot);
  }
  admit(monotonic_ms());
}

void CurlEngine::drive(int wait_ms) {
  std::vector<WaitSocket> sockets = wait_sockets();
  std::vector<pollfd> fds;
  fds.reserve(sockets.size());
  for (const WaitSocket& w : sockets)
    fds.push_back(
        pollfd{w.fd, static_cast<short>((w.read ? POLLIN : 0) | (w.write ? POLLOUT : 0)), 0});
  long due = wait_timeout_ms();
  long wait = due < 0 ? wait_ms : std::min<long>(wait_ms, due);
  std::vector<ReadySocket> ready;
  if (::poll(fds.empty() ? nullptr : fds.data(), fds.size(), static_cast<int>(std::max(0L, wait))) >
      0) {
    for (const pollfd& p : fds)
      if (p.revents)
        ready.push_back(ReadySocket{p.fd, (p.revents & (POLLIN | POLLHUP)) != 0,
                                    (p.revents & POLLOUT) != 0,
                                    (p.revents & (POLLERR | POLLNVAL)) != 0});
  }
  process(ready);
}

std::size_t CurlEngine::poll(int timeout_ms) {
  const std::int64_t deadline = monotonic_ms() + std::max(0, timeout_ms);
  admit(monotonic_ms());
  if (!completed_.empty()) {
    drive(0);  // one non-blocking round so in-flight transfers progress too
    return completed_.size();
  }
  for (;;) {
    if (idle()) return completed_.size();
    std::int64_t left = std::max<std::int64_t>(0, deadline - monotonic_ms());
    drive(static_cast<int>(left));
    if (!completed_.empty() || monotonic_ms() >= deadline) return completed_.size();
  }
}

std::vector<std::unique_ptr<Transfer>> CurlEngine::take_completed() {
  std::vector<std::unique_ptr<Transfer>> out;
  out.swap(completed_);
  return out;
}

void set_tls_ca(CURL* easy, const std::string& pem) {
  if (pem.empty()) return;
  curl_blob blob{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY};
  curl_easy_setopt(easy, CURLOPT_CAINFO_BLOB, &blob);
}

}  // namespace mc::delivery
