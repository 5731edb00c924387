// The gateway's HTTP/1.1 server: `threads` event loops wait on one epoll set (64 events per
// wake-up); one thread at a time owns a connection: the thread woken for it reads what arrived
// (one recv), answers the complete requests in it (http_connection.hpp; pipelined ones in
// order), sends every answer of that round with one send, and hands the connection back to the
// set. With several loops each connection is registered EPOLLONESHOT and re-armed (epoll_ctl)
// after every round; with one (the default) it stays registered, level-triggered, and the set
// changes only when the events wanted do (EPOLLOUT for an answer that did not fit, a connection
// taken out while another thread answers it): one system call less per request
// (bench/README.md, "Gateway", 2026-12-01 03:00). The handler runs on the loop and should not
// block: it answers at once, or defers (returns false) and a Reply later goes on with the
// connection from whichever thread has the answer (a worker, a push lane's result: mc-gateway's
// main.cpp). No thread waits for a slow client: a request that arrives in pieces is kept in its
// connection between wake-ups. Other descriptors join the set as EventSources. This replaced
// cpp-httplib's thread-per-connection server, which polled before every read and write and
// wrote headers and body separately (bench/README.md, "Gateway").
//
// Limits: a head larger than limits.max_head_bytes or with too many fields (431), a body of
// unknown length (411) or larger than limits.max_body_bytes (413) is refused before its body is
// read, and the connection closed. A timer thread shuts down connections that stay silent
// longer than read_timeout (keep-alive idle, a stalled read, an unread answer) or whose request
// takes longer than request_timeout to arrive. stop(): no new connection; idle keep-alive ones
// are closed; requests in flight are answered ("Connection: close"); then run() returns.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateway/http_connection.hpp"

namespace mcgw {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;          // 0: any free port (port() tells which)
  std::size_t threads = 2;  // event loops
  HttpLimits limits;
  std::chrono::milliseconds read_timeout{5000};
  std::chrono::milliseconds request_timeout{15000};
  // Run by each event loop thread when it starts, and after each round of events it handled
  // (mc-gateway writes its access log lines there).
  std::function<void()> loop_start;
  std::function<void()> round_end;
  // Run by the timer thread every 100 ms (mc-gateway pokes its push lanes there).
  std::function<void()> tick;
};

struct Peer {
  std::string addr;
  int port = 0;
};

// Something else in the server's epoll set (a database connection of push_lanes.hpp): its
// on_event runs on a server thread when its descriptor is ready. With several loops registered
// EPOLLONESHOT, like connections (one thread at a time; watch() again to hear of it again); with
// one, level-triggered until watch() changes its events or unwatch() removes it.
class EventSource {
 public:
  virtual ~EventSource() = default;
  virtual void on_event(unsigned events) = 0;
};

// Answers a deferred request (the handler returned false): call it once, from any thread, with
// the whole answer (http_answer.hpp). Its connection waits, unread, until then.
using Reply = std::function<void(std::string answer)>;

class HttpServer {
 public:
  // Answers a complete request: appends the whole answer to *out (http_answer.hpp), saying
  // "Connection: close" unless keep_alive, and returns true; or returns false and calls reply
  // later (the request waits for a database result without holding this thread). Runs on a
  // server thread; may block. An exception becomes a refusal with status 500.
  using Handler = std::function<bool(HttpRequest& req, const Peer& peer, bool keep_alive,
                                     std::string* out, const Reply& reply)>;
  // A refused request (head as far as parsed): appends a closing answer with that status.
  using Refuser = std::function<void(const RequestHead& head, const Peer& peer, int status,
                                     const std::string& reason, std::string* out)>;

  HttpServer(ServerOptions options, Handler handler, Refuser refuser);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens; false with *error set when it cannot.
  bool listen(std::string* error);
  int port() const { return port_; }
  // Serves until stop() and every connection is closed.
  void run();
  // From any thread, any number of times.
  void stop();

  std::size_t connections() const;

  // Adds (add) or re-arms fd in the epoll set for events (EPOLLIN, EPOLLOUT): EPOLLONESHOT with
  // several loops; with one (level_triggered()), it stays registered, level-triggered, and a
  // source calls watch again only to change its events.
  bool watch(int fd, EventSource* source, unsigned events, bool add);
  bool level_triggered() const { return level_; }
  void unwatch(int fd);

 private:
  struct Conn;
  void loop();
  void sweep();
  void accept_all();
  void serve(Conn* c, unsigned events);
  void drive(Conn* c);
  void resume(Conn* c, std::string answer, bool keep_alive);
  bool answer(Conn* c);
  bool flush(Conn* c);
  void arm(Conn* c, unsigned events);
  void close_conn(Conn* c);
  void wake_all();

  ServerOptions options_;
  Handler handler_;
  Refuser refuser_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int stop_fd_ = -1;  // eventfd: written once the last connection closed after stop()
  int port_ = 0;
  char listen_tag_ = 0;
  char stop_tag_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable sweeper_cv_;
  bool stopping_ = false;
  std::atomic<bool> stopping_flag_{false};
  std::unordered_map<Conn*, std::unique_ptr<Conn>> conns_;
  // One event loop: connections and other sources stay in the set, level-triggered, without
  // EPOLLONESHOT (no re-arming system call per request: there is no second owner to keep
  // out); closed connections wait in dead_ for the loop's next round.
  const bool level_;
  std::vector<std::unique_ptr<Conn>> dead_;
  std::atomic<bool> has_dead_{false};
};

}  // namespace mcgw
