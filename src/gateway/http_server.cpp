#include "gateway/http_server.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <thread>
#include <vector>

namespace mcgw {
namespace {

using Clock = std::chrono::steady_clock;

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
      .count();
}

Peer peer_of(const sockaddr_storage& ss) {
  Peer p;
  char text[INET6_ADDRSTRLEN] = {0};
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    p.port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    p.port = ntohs(a->sin6_port);
  }
  p.addr = text;
  return p;
}

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace

struct HttpServer::Conn : EventSource {
  Conn(HttpServer* s, int f, Peer p, const HttpLimits& limits)
      : server(s), fd(f), peer(std::move(p)), http(limits) {}
  void on_event(unsigned events) override { server->serve(this, events); }
  HttpServer* server;
  int fd;
  Peer peer;
  HttpConnection http;
  // For the timer thread: when to shut the connection down (0: a thread owns it now), and
  // whether it waits for a new request (closed at once on stop()).
  std::atomic<long long> deadline{0};
  std::atomic<bool> idle{false};
  long long request_deadline = 0;  // first byte of the request + request_timeout
  bool shut_wr = false;            // answered and closing: draining what the peer still sends
  bool broken = false;             // a send failed while an answer was deferred: close after it
  // One event loop (level-triggered, no EPOLLONESHOT): under reply_mutex, whether a thread is
  // on the connection (from serve() or resume() until release(); a deferred answer keeps it
  // so), the events registered for it (0: taken out of the set while busy), whether it was
  // closed (its memory stays until the loop's next round: an event of this round may name it).
  bool busy = false;
  unsigned registered = 0;
  bool closed = false;
  // A deferred answer (Reply): whichever of the owning thread (done with the connection) and
  // the replying thread comes second goes on with the connection.
  std::mutex reply_mutex;
  bool parked = false;   // the owner let go while awaiting
  bool replied = false;  // the answer arrived before the owner let go
  std::string reply;
  bool reply_keep_alive = true;
};

HttpServer::HttpServer(ServerOptions options, Handler handler, Refuser refuser)
    : options_(std::move(options)),
      handler_(std::move(handler)),
      refuser_(std::move(refuser)),
      level_(options_.threads <= 1) {}

HttpServer::~HttpServer() {
  for (auto& [p, c] : conns_) ::close(c->fd);
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

bool HttpServer::listen(std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string port = std::to_string(options_.port);
  int rc = getaddrinfo(options_.host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) {
    *error = gai_strerror(rc);
    return false;
  }
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, 1024) == 0) {
      listen_fd_ = fd;
      break;
    }
    *error = std::strerror(errno);
    ::close(fd);
  }
  freeaddrinfo(res);
  if (listen_fd_ < 0) return false;
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len);
  port_ = peer_of(ss).port;

  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || stop_fd_ < 0) {
    *error = std::strerror(errno);
    return false;
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.ptr = &listen_tag_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  ev.events = EPOLLIN;  // level-triggered, never read: every thread sees it
  ev.data.ptr = &stop_tag_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, stop_fd_, &ev);
  return true;
}

void HttpServer::run() {
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < std::max<std::size_t>(options_.threads, 1); ++i)
    threads.emplace_back([this] { loop(); });
  std::thread sweeper([this] { sweep(); });
  for (auto& t : threads) t.join();
  sweeper.join();
}

void HttpServer::stop() {
  bool none = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    stopping_flag_ = true;
    if (listen_fd_ >= 0) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
    none = conns_.empty();
  }
  sweeper_cv_.notify_all();
  if (none) wake_all();
}

std::size_t HttpServer::connections() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return conns_.size();
}

void HttpServer::wake_all() {
  std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(stop_fd_, &one, sizeof one);
}

thread_local std::vector<char> recv_buffer;

void HttpServer::loop() {
  recv_buffer.resize(65536);
  if (options_.loop_start) options_.loop_start();
  // Nothing a loop runs blocks (handlers that would go to workers), so a wake-up takes every
  // event ready: under load, many requests per epoll_wait.
  constexpr int kMaxEvents = 64;
  epoll_event events[kMaxEvents];
  bool stop = false;
  std::vector<std::unique_ptr<Conn>> dead;
  while (!stop) {
    if (has_dead_.load(std::memory_order_relaxed)) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        dead.swap(dead_);
        has_dead_ = false;
      }
      dead.clear();  // closed before this epoll_wait: no event of it can come
    }
    int n = epoll_wait(epoll_fd_, events, kMaxEvents, -1);
    if (n < 0 && errno != EINTR) {
      std::cerr << "mc-gateway: epoll_wait: " << std::strerror(errno) << "\n";
      return;
    }
    for (int i = 0; i < n; ++i) {
      const epoll_event& ev = events[i];
      if (ev.data.ptr == &stop_tag_) {
        stop = true;  // after the other events of this round
      } else if (ev.data.ptr == &listen_tag_) {
        accept_all();
      } else {
        static_cast<EventSource*>(ev.data.ptr)->on_event(ev.events);
      }
    }
    if (options_.round_end) options_.round_end();
  }
  wake_all();  // the next waiting thread too, whatever epoll's wake-up policy
}

void HttpServer::accept_all() {
  while (true) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int fd =
        accept4(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        std::cerr << "mc-gateway: accept: " << std::strerror(errno) << "\n";
      break;
    }
    // Answers go out whole, in one send: Nagle's algorithm would only delay them.
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto owned = std::make_unique<Conn>(this, fd, peer_of(ss), options_.limits);
    Conn* c = owned.get();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) {
        ::close(fd);
        continue;
      }
      conns_.emplace(c, std::move(owned));
    }
    c->idle = true;
    c->deadline = now_ms() + options_.read_timeout.count();
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (level_ ? 0u : static_cast<unsigned>(EPOLLONESHOT));
    ev.data.ptr = c;
    c->registered = EPOLLIN | EPOLLRDHUP;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) close_conn(c);
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.ptr = &listen_tag_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);  // fails after stop(): not listening
}

void HttpServer::serve(Conn* c, unsigned events) {
  if (level_) {
    std::lock_guard<std::mutex> lock(c->reply_mutex);
    if (c->closed) return;  // an event of this round for a connection closed since
    if (c->busy) {
      // Another thread has it (a deferred answer, a worker's reply): out of the set until it
      // lets go (release()), or the level-triggered event would come back every round.
      if (c->registered) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c->fd, nullptr);
      c->registered = 0;
      return;
    }
    c->busy = true;
  }
  try {
    c->deadline = 0;  // owned by this thread until arm()
    c->idle = false;
    if ((events & EPOLLOUT) && !flush(c)) return close_conn(c);
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
      bool was_mid = c->http.mid_request();
      if (recv_buffer.empty()) recv_buffer.resize(65536);
      ssize_t n = ::recv(c->fd, recv_buffer.data(), recv_buffer.size(), 0);
      if (n > 0) {
        if (!was_mid) c->request_deadline = now_ms() + options_.request_timeout.count();
        c->http.received(std::string_view(recv_buffer.data(), static_cast<std::size_t>(n)));
      } else if (n == 0) {
        c->http.peer_closed();
      } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        return close_conn(c);
      }
    }
    if (c->shut_wr) {  // draining after the last answer
      if (c->http.peer_gone()) return close_conn(c);
      c->idle = true;
      c->deadline = now_ms() + options_.read_timeout.count();
      return arm(c, EPOLLIN);
    }
    drive(c);
  } catch (const std::exception& e) {  // out of memory: this connection ends, the server not
    std::cerr << "mc-gateway: connection dropped: " << e.what() << "\n";
    close_conn(c);
  }
}

void HttpServer::resume(Conn* c, std::string answer, bool keep_alive) {
  {
    std::lock_guard<std::mutex> lock(c->reply_mutex);
    if (!c->parked) {  // its thread has not let go yet: it goes on when it does
      c->replied = true;
      c->reply = std::move(answer);
      c->reply_keep_alive = keep_alive;
      return;
    }
    c->parked = false;
  }
  try {
    c->http.queue(answer, keep_alive);
    drive(c);
  } catch (const std::exception& e) {
    std::cerr << "mc-gateway: connection dropped: " << e.what() << "\n";
    close_conn(c);
  }
}

// Answers what is complete, sends, and hands the connection back to the epoll set (or parks it
// while an answer is deferred, or closes it).
void HttpServer::drive(Conn* c) {
  while (true) {
    bool deferred = !answer(c);
    if (!c->broken && !flush(c)) c->broken = true;
    if (!deferred) {
      if (c->broken) return close_conn(c);
      break;
    }
    // A deferred answer holds the connection open even when the peer is gone: its Reply will
    // come to it (and find it broken).
    std::lock_guard<std::mutex> lock(c->reply_mutex);
    if (!c->replied) {
      c->parked = true;  // the reply goes on with it; nothing of it is touched here after this
      return;
    }
    c->replied = false;
    c->http.queue(c->reply, c->reply_keep_alive);
    c->reply.clear();
  }
  long long now = now_ms();
  if (!c->http.pending().empty()) {
    c->deadline = now + options_.read_timeout.count();
    return arm(c, EPOLLOUT);
  }
  if (c->http.peer_gone()) return close_conn(c);
  if (c->http.closing()) {
    // Lingering close: the peer may still be sending a body that was refused; closing with
    // unread data would reset the connection and could destroy the answer before it is read.
    ::shutdown(c->fd, SHUT_WR);
    c->shut_wr = true;
    c->idle = true;
    c->deadline = now + options_.read_timeout.count();
    return arm(c, EPOLLIN);
  }
  bool mid = c->http.mid_request();
  c->idle = !mid;
  long long d = now + options_.read_timeout.count();
  if (mid) d = std::min(d, c->request_deadline);
  c->deadline = d;
  arm(c, EPOLLIN);
}

// Answers the complete requests received, in order; false when one was deferred (those after
// it wait for its answer).
bool HttpServer::answer(Conn* c) {
  while (true) {
    HttpRequest req;
    HeadResult refusal;
    HttpConnection::Step step = c->http.next(&req, &refusal);
    if (step == HttpConnection::Step::kRequest) {
      bool keep_alive = req.head.keep_alive && !stopping_flag_;
      std::string out;
      bool now = true;
      try {
        now = handler_(req, c->peer, keep_alive, &out, [this, c, keep_alive](std::string answer) {
          resume(c, std::move(answer), keep_alive);
        });
      } catch (const std::exception& e) {
        std::cerr << "mc-gateway: unhandled exception: " << e.what() << "\n";
        out.clear();
        keep_alive = false;
        refuser_(req.head, c->peer, 500, "internal error", &out);
      }
      if (!now) return false;
      c->http.queue(out, keep_alive);
      if (!keep_alive) return true;
      if (c->http.mid_request()) c->request_deadline = now_ms() + options_.request_timeout.count();
      continue;  // a pipelined request may follow
    }
    if (step == HttpConnection::Step::kRefused) {
      std::string out;
      refuser_(c->http.partial_head(), c->peer, refusal.status, refusal.reason, &out);
      c->http.queue(out, false);
      return true;
    }
    if (step == HttpConnection::Step::kNeedMore && c->http.send_continue())
      c->http.queue_interim(kContinue);
    return true;
  }
}

bool HttpServer::flush(Conn* c) {
  while (true) {
    std::string_view p = c->http.pending();
    if (p.empty()) return true;
    ssize_t n = ::send(c->fd, p.data(), p.size(), MSG_NOSIGNAL);
    if (n > 0) {
      c->http.sent(static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
  }
}

void HttpServer::arm(Conn* c, unsigned events) {
  if (level_) {
    // Registered once, level-triggered: a system call only when the events wanted change (an
    // answer waiting for room to be sent, a connection taken out of the set while busy).
    {
      std::lock_guard<std::mutex> lock(c->reply_mutex);
      unsigned want = events | EPOLLRDHUP;
      if (c->registered == want) {
        c->busy = false;  // the loop may own it from here: nothing of it is touched after this
        return;
      }
      epoll_event ev{};
      ev.events = want;
      ev.data.ptr = c;
      if (epoll_ctl(epoll_fd_, c->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &ev) == 0) {
        c->registered = want;
        c->busy = false;
        return;
      }
    }
    return close_conn(c);
  }
  epoll_event ev{};
  ev.events = events | EPOLLRDHUP | EPOLLONESHOT;
  ev.data.ptr = c;
  // After this call another thread may own the connection: nothing of it is touched here.
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c->fd, &ev) != 0) close_conn(c);
}

bool HttpServer::watch(int fd, EventSource* source, unsigned events, bool add) {
  epoll_event ev{};
  ev.events = events | (level_ ? 0u : static_cast<unsigned>(EPOLLONESHOT));
  ev.data.ptr = source;
  return epoll_ctl(epoll_fd_, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev) == 0;
}

void HttpServer::unwatch(int fd) { epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr); }

void HttpServer::close_conn(Conn* c) {
  bool last = false;
  if (level_) {
    std::lock_guard<std::mutex> lock(c->reply_mutex);
    c->closed = true;
  }
  {
    // Closed under the lock: the timer thread never shuts down a descriptor number reused.
    std::lock_guard<std::mutex> lock(mutex_);
    ::close(c->fd);
    auto it = conns_.find(c);
    if (level_ && it != conns_.end()) {
      // The loop frees it before its next epoll_wait: an event already taken may name it.
      dead_.push_back(std::move(it->second));
      has_dead_ = true;
    }
    conns_.erase(c);
    last = stopping_ && conns_.empty();
  }
  if (last) {
    wake_all();
    sweeper_cv_.notify_all();
  }
}

void HttpServer::sweep() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    if (stopping_ && conns_.empty()) return;
    long long now = now_ms();
    for (auto& [p, c] : conns_) {
      long long d = c->deadline.load();
      if (d == 0) continue;  // a thread is on it
      if (now >= d || (stopping_ && c->idle.load())) {
        // Its thread wakes with an end of file and closes it.
        c->deadline = 0;
        ::shutdown(c->fd, SHUT_RDWR);
      }
    }
    if (options_.tick) {
      lock.unlock();
      options_.tick();
      lock.lock();
    }
    sweeper_cv_.wait_for(lock, std::chrono::milliseconds(100));
  }
}

}  // namespace mcgw
