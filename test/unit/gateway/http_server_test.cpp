// The epoll server (http_server.hpp) over loopback with a handler that echoes: keep-alive,
// pipelining, refusals before the body, a stalled client dropped while others are served,
// and stop() finishing the request in flight.
#include "gateway/http_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "gateway/http_answer.hpp"

using namespace std::chrono_literals;

namespace {

class Server {
 public:
  explicit Server(std::chrono::milliseconds read_timeout = 2000ms, std::size_t threads = 2) {
    mcgw::ServerOptions o;
    o.port = 0;
    o.threads = threads;
    o.limits.max_body_bytes = 1000;
    o.read_timeout = read_timeout;
    o.request_timeout = 3 * read_timeout;
    server = std::make_unique<mcgw::HttpServer>(
        o,
        [this](mcgw::HttpRequest& req, const mcgw::Peer& peer, bool keep_alive, std::string* out,
               const mcgw::Reply& reply) {
          ++handled;
          if (req.head.target == "/slow") std::this_thread::sleep_for(300ms);
          std::string text =
              req.head.method + " " + req.head.target + " " + req.body + " " + peer.addr;
          if (req.head.target == "/big") text.append(16 << 20, 'x');  // more than the sockets hold
          if (req.head.target.rfind("/later", 0) == 0) {
            // Answered from another thread: after a while, or at once (before this returns).
            auto delay = req.head.target == "/later" ? 50ms : 0ms;
            std::thread([reply, text, keep_alive, delay, minor = req.head.minor_version] {
              std::this_thread::sleep_for(delay);
              std::string answer;
              mcgw::begin_answer(answer, 200);
              mcgw::end_answer(answer, text, keep_alive, minor, false);
              reply(std::move(answer));
            }).detach();
            if (delay == 0ms) std::this_thread::sleep_for(5ms);
            return false;
          }
          mcgw::begin_answer(*out, 200);
          mcgw::end_answer(*out, text, keep_alive, req.head.minor_version, false);
          return true;
        },
        [](const mcgw::RequestHead&, const mcgw::Peer&, int status, const std::string& reason,
           std::string* out) {
          mcgw::begin_answer(*out, status);
          mcgw::end_answer(*out, reason, false, 1, false);
        });
    std::string error;
    EXPECT_TRUE(server->listen(&error)) << error;
    thread = std::thread([this] { server->run(); });
  }
  ~Server() {
    server->stop();
    thread.join();
  }
  int port() const { return server->port(); }
  std::unique_ptr<mcgw::HttpServer> server;
  std::thread thread;
  std::atomic<int> handled{0};
};

int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

void send_all(int fd, const std::string& s) {
  ASSERT_EQ(send(fd, s.data(), s.size(), MSG_NOSIGNAL), static_cast<ssize_t>(s.size()));
}

// Reads until `until` appears, the peer closes, or the timeout: what arrived.
std::string read_until(int fd, const std::string& until) {
  std::string got;
  char buf[4096];
  while (got.find(until) == std::string::npos) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

bool closed_by_peer(int fd) {
  char c;
  return recv(fd, &c, 1, 0) == 0;
}

// Every case with one event loop (level-triggered, no EPOLLONESHOT) and with several
// (EPOLLONESHOT: one owner at a time).
class HttpServerLoops : public ::testing::TestWithParam<std::size_t> {};
INSTANTIATE_TEST_SUITE_P(Loops, HttpServerLoops, ::testing::Values(1, 2));

}  // namespace

TEST_P(HttpServerLoops, KeepAliveRequestsOnOneConnection) {
  Server s(2000ms, GetParam());
  int fd = connect_to(s.port());
  send_all(fd, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string a = read_until(fd, "127.0.0.1");
  EXPECT_EQ(a, "HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\nGET /a  127.0.0.1");
  send_all(fd, "POST /b HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi");
  EXPECT_NE(read_until(fd, "127.0.0.1").find("POST /b hi"), std::string::npos);
  close(fd);
}

TEST_P(HttpServerLoops, PipelinedAnswersInOrder) {
  Server s(2000ms, GetParam());
  int fd = connect_to(s.port());
  send_all(fd,
           "POST /1 HTTP/1.1\r\nContent-Length: 1\r\n\r\nx"
           "GET /2 HTTP/1.1\r\n\r\n"
           "GET /3 HTTP/1.1\r\nConnection: close\r\n\r\n"
           "GET /4 HTTP/1.1\r\n\r\n");
  std::string all = read_until(fd, "\x01never");
  std::size_t p1 = all.find("POST /1 x"), p2 = all.find("GET /2"), p3 = all.find("GET /3");
  ASSERT_NE(p1, std::string::npos) << all;
  ASSERT_NE(p2, std::string::npos) << all;
  ASSERT_NE(p3, std::string::npos) << all;
  EXPECT_LT(p1, p2);
  EXPECT_LT(p2, p3);
  EXPECT_EQ(all.find("GET /4"), std::string::npos);  // after "Connection: close"
  EXPECT_NE(all.find("Connection: close"), std::string::npos);
  close(fd);
}

TEST_P(HttpServerLoops, OversizedBodyRefusedBeforeItIsSent) {
  Server s(2000ms, GetParam());
  int fd = connect_to(s.port());
  send_all(fd, "POST /big HTTP/1.1\r\nContent-Length: 104857600\r\n\r\n");
  std::string a = read_until(fd, "\x01never");  // the answer, then the server's end of file
  EXPECT_EQ(a.rfind("HTTP/1.1 413 ", 0), 0u) << a;
  EXPECT_EQ(s.handled, 0);
  close(fd);
}

TEST_P(HttpServerLoops, ChunkedAndLengthlessPostRefused) {
  Server s(2000ms, GetParam());
  int fd = connect_to(s.port());
  send_all(fd, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(read_until(fd, "\r\n").rfind("HTTP/1.1 411 ", 0), 0u);
  close(fd);
  fd = connect_to(s.port());
  send_all(fd, "POST / HTTP/1.1\r\nHost: x\r\n\r\n" + std::string(65536, 'x'));
  EXPECT_EQ(read_until(fd, "\r\n").rfind("HTTP/1.1 411 ", 0), 0u);
  close(fd);
}

TEST_P(HttpServerLoops, ExpectContinue) {
  Server s(2000ms, GetParam());
  int fd = connect_to(s.port());
  send_all(fd, "POST /c HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(read_until(fd, "\r\n\r\n"), "HTTP/1.1 100 Continue\r\n\r\n");
  send_all(fd, "abc");
  EXPECT_NE(read_until(fd, "127.0.0.1").find("POST /c abc"), std::string::npos);
  close(fd);
}

TEST_P(HttpServerLoops, StalledClientDroppedOthersServed) {
  Server s(400ms, GetParam());
  int slow = connect_to(s.port());
  send_all(slow, "POST /x HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"type\":");
  auto start = std::chrono::steady_clock::now();
  int fd = connect_to(s.port());
  send_all(fd, "GET /other HTTP/1.1\r\n\r\n");
  EXPECT_NE(read_until(fd, "127.0.0.1").find("GET /other"), std::string::npos);
  EXPECT_TRUE(closed_by_peer(slow));
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 300ms);
  EXPECT_LT(waited, 3s);
  close(slow);
  close(fd);
}

TEST_P(HttpServerLoops, TricklingClientDroppedAtTheRequestTimeout) {
  Server s(400ms, GetParam());  // request timeout 1.2 s
  int fd = connect_to(s.port());
  auto start = std::chrono::steady_clock::now();
  std::string text = "GET /trickle HTTP/1.1\r\nX-A: " + std::string(200, 'a') + "\r\n\r\n";
  bool closed = false;
  for (char c : text) {  // one byte every 100 ms: never silent for a read timeout
    if (send(fd, &c, 1, MSG_NOSIGNAL) != 1) {
      closed = true;
      break;
    }
    std::this_thread::sleep_for(100ms);
    if (std::chrono::steady_clock::now() - start > 4s) break;
  }
  EXPECT_TRUE(closed || closed_by_peer(fd));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
  EXPECT_EQ(s.handled, 0);
  close(fd);
}

TEST_P(HttpServerLoops, IdleKeepAliveClosedAfterTheReadTimeout) {
  Server s(300ms, GetParam());
  int fd = connect_to(s.port());
  send_all(fd, "GET /a HTTP/1.1\r\n\r\n");
  read_until(fd, "127.0.0.1");
  EXPECT_TRUE(closed_by_peer(fd));
  close(fd);
}

TEST_P(HttpServerLoops, StopAnswersTheRequestInFlight) {
  auto s = std::make_unique<Server>(2000ms, GetParam());
  int idle = connect_to(s->port());
  int fd = connect_to(s->port());
  send_all(fd, "GET /slow HTTP/1.1\r\n\r\n");
  std::this_thread::sleep_for(100ms);       // the handler is running
  std::thread stopper([&] { s.reset(); });  // stop() and run() returning
  std::string a = read_until(fd, "127.0.0.1");
  EXPECT_NE(a.find("GET /slow"), std::string::npos);
  EXPECT_TRUE(closed_by_peer(fd));  // then closed (its answer was begun before stop())
  EXPECT_TRUE(closed_by_peer(idle));
  stopper.join();
  close(fd);
  close(idle);
}

TEST_P(HttpServerLoops, ManyConcurrentConnections) {
  Server s(2000ms, GetParam() == 1 ? 1 : 3);
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < 16; ++i)
    clients.emplace_back([&, i] {
      int fd = connect_to(s.port());
      for (int k = 0; k < 50; ++k) {
        std::string body = std::to_string(i) + "-" + std::to_string(k);
        send_all(fd, "POST /p HTTP/1.1\r\nContent-Length: " + std::to_string(body.size()) +
                         "\r\n\r\n" + body);
        if (read_until(fd, "127.0.0.1").find("POST /p " + body + " ") != std::string::npos) ++ok;
      }
      close(fd);
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok, 16 * 50);
}

TEST_P(HttpServerLoops, DeferredAnswersKeepTheirOrder) {
  Server s(2000ms, GetParam());
  int fd = connect_to(s.port());
  for (int round = 0; round < 20; ++round) {
    send_all(fd,
             "GET /later HTTP/1.1\r\n\r\nGET /now HTTP/1.1\r\n\r\n"
             "GET /later-at-once HTTP/1.1\r\n\r\nGET /end HTTP/1.1\r\n\r\n");
    std::string all = read_until(fd, "GET /end  127.0.0.1");
    std::size_t a = all.find("GET /later "), b = all.find("GET /now"),
                c = all.find("GET /later-at-once"), d = all.find("GET /end");
    ASSERT_NE(d, std::string::npos) << all;
    EXPECT_LT(a, b);
    EXPECT_LT(b, c);
    EXPECT_LT(c, d);
  }
  close(fd);
}

TEST_P(HttpServerLoops, RequestArrivingWhileAnAnswerIsDeferred) {
  Server s(2000ms, GetParam());
  int fd = connect_to(s.port());
  for (int round = 0; round < 10; ++round) {
    // The second request arrives while the first waits for its answer (the connection is
    // someone else's then): read after it, answered after it, not lost.
    send_all(fd, "GET /later HTTP/1.1\r\n\r\n");
    std::this_thread::sleep_for(10ms);
    send_all(fd, "GET /end HTTP/1.1\r\n\r\n");
    std::string all = read_until(fd, "GET /end  127.0.0.1");
    std::size_t a = all.find("GET /later "), d = all.find("GET /end");
    ASSERT_NE(d, std::string::npos) << all;
    EXPECT_LT(a, d);
  }
  close(fd);
}

TEST_P(HttpServerLoops, AnswerLargerThanTheSocketSentWhenTheClientReads) {
  Server s(2000ms, GetParam());
  int fd = connect_to(s.port());
  // The answer waits for room (EPOLLOUT) while the client reads nothing; the request behind it
  // is answered after it.
  send_all(fd, "GET /big HTTP/1.1\r\n\r\nGET /end HTTP/1.1\r\n\r\n");
  std::this_thread::sleep_for(200ms);
  std::string all = read_until(fd, "GET /end  127.0.0.1");
  EXPECT_NE(all.find("GET /end  127.0.0.1"), std::string::npos);
  EXPECT_GT(all.size(), std::size_t{16} << 20);
  send_all(fd, "GET /again HTTP/1.1\r\n\r\n");
  EXPECT_NE(read_until(fd, "GET /again  127.0.0.1").find("GET /again"), std::string::npos);
  close(fd);
}

TEST_P(HttpServerLoops, PeerGoneBeforeADeferredAnswer) {
  Server s(2000ms, GetParam());
  for (int i = 0; i < 20; ++i) {
    int fd = connect_to(s.port());
    // Pipelined: the first answer is sent (and fails: the peer is gone) while the second waits.
    send_all(fd, "GET /now HTTP/1.1\r\n\r\nGET /later HTTP/1.1\r\n\r\n");
    linger l{1, 0};  // close with a reset
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close(fd);
  }
  std::this_thread::sleep_for(200ms);  // the deferred answers arrive to broken connections
  int fd = connect_to(s.port());
  send_all(fd, "GET /after HTTP/1.1\r\n\r\n");
  EXPECT_NE(read_until(fd, "127.0.0.1").find("GET /after"), std::string::npos);
  close(fd);
  for (int i = 0; i < 50 && s.server->connections() > 0; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(s.server->connections(), 0u);
}
