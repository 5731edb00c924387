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
      bucket_(limits.max_per_second, std::max(1.0, limits.max_per_second), monotonic_ms()) {
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

void CurlEngine::drive(int wait_ms) {
  std::vector<pollfd> fds;
  std::vector<Slot*> owners;
  std::int64_t now = monotonic_ms();
  std::int64_t wait = wait_ms;
  for (auto& slot : slots_) {
    for (const auto& [s, what] : slot->sockets) {
      short events = 0;
      if (what & CURL_POLL_IN) events |= POLLIN;
      if (what & CURL_POLL_OUT) events |= POLLOUT;
      fds.push_back(pollfd{s, events, 0});
      owners.push_back(slot.get());
    }
    if (slot->timer_deadline_ms >= 0)
      wait = std::min(wait, std::max<std::int64_t>(0, slot->timer_deadline_ms - now));
  }
  int n = ::poll(fds.empty() ? nullptr : fds.data(), fds.size(),
                 static_cast<int>(std::max<std::int64_t>(0, wait)));
  int running = 0;
  if (n > 0) {
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (!fds[i].revents) continue;
      int mask = 0;
      if (fds[i].revents & (POLLIN | POLLHUP)) mask |= CURL_CSELECT_IN;
      if (fds[i].revents & POLLOUT) mask |= CURL_CSELECT_OUT;
      if (fds[i].revents & (POLLERR | POLLNVAL)) mask |= CURL_CSELECT_ERR;
      curl_multi_socket_action(owners[i]->multi, fds[i].fd, mask, &running);
    }
  }
  now = monotonic_ms();
  for (auto& slot : slots_) {
    if (slot->timer_deadline_ms >= 0 && slot->timer_deadline_ms <= now) {
      slot->timer_deadline_ms = -1;
      curl_multi_socket_action(slot->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
    collect(*slot);
  }
}

std::size_t CurlEngine::poll(int timeout_ms) {
  const std::int64_t deadline = monotonic_ms() + std::max(0, timeout_ms);
  for (;;) {
    std::int64_t now = monotonic_ms();
    admit(now);
    if (!completed_.empty() && timeout_ms > 0) {
      // Still give curl one non-blocking round so in-flight transfers progress.
      drive(0);
      admit(monotonic_ms());
      return completed_.size();
    }
    if (idle()) return completed_.size();
    std::int64_t wait = std::max<std::int64_t>(0, deadline - now);
    bool free_slot = in_flight() < slots_.size();
    if (!queue_.empty() && free_slot) wait = std::min(wait, bucket_.wait_ms(now));
    drive(static_cast<int>(wait));
    admit(monotonic_ms());
    if (!completed_.empty() || monotonic_ms() >= deadline) return completed_.size();
  }
}

std::vector<std::unique_ptr<Transfer>> CurlEngine::take_completed() {
  std::vector<std::unique_ptr<Transfer>> out;
  out.swap(completed_);
  return out;
}

}  // namespace mc::delivery
