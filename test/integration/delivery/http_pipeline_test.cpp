// The native HTTP client (http_pipeline.hpp, through HttpSender) against scripted servers on
// loopback, in threads of this test: what a real server does that http.server does not (answers
// in pieces, chunked, Connection: close, a kept-alive connection closed under a request,
// malformed or cut answers, a server that never answers), and that both paths send the same
// request.
#include "delivery/http_sender.hpp"
#include "delivery/provider_config.hpp"
#include "drive_sender.hpp"
#include "server_process.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>

using namespace mc::delivery;
using mc::delivery::testing::drive_until_idle;
using mc::delivery::testing::ServerProcess;

namespace {

// A loopback server: each accepted connection runs `handler(fd, connection_number)` in a thread
// of its own, and ends when the handler returns. Requests are read with read_request().
class ScriptedServer {
 public:
  using Handler = std::function<void(int fd, int conn)>;
  explicit ScriptedServer(Handler h) : handler_(std::move(h)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listen_fd_, 64) != 0)
      throw std::runtime_error("cannot listen");
    socklen_t len = sizeof a;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] {
      for (;;) {
        int fd = ::accept(listen_fd_, nullptr, nullptr);
        if (fd < 0) return;
        int n = ++connections_;
        std::lock_guard<std::mutex> g(m_);
        if (stopping_) {
          ::close(fd);
          return;
        }
        fds_.push_back(fd);
        workers_.emplace_back([this, fd, n] {
          handler_(fd, n);
          ::shutdown(fd, SHUT_RDWR);  // the handler is done: the client sees the end
        });
      }
    });
  }
  ~ScriptedServer() {
    {
      std::lock_guard<std::mutex> g(m_);
      stopping_ = true;
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    }
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    acceptor_.join();
    for (auto& t : workers_) t.join();
    for (int fd : fds_) ::close(fd);
  }
  std::string url(const std::string& path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int connections() const { return connections_; }

 private:
  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> connections_{0};
  std::mutex m_;
  bool stopping_ = false;
  std::vector<int> fds_;
  std::vector<std::thread> workers_;
  std::thread acceptor_;
};

// One request (head and Content-Length body); "" when the connection ended first.
std::string read_request(int fd) {
  std::string in;
  char buf[4096];
  for (;;) {
    std::size_t end = in.find("\r\n\r\n");
    if (end != std::string::npos) {
      std::size_t length = 0;
      std::size_t cl = in.find("Content-Length: ");
      if (cl != std::string::npos && cl < end) length = std::stoul(in.substr(cl + 16));
      if (in.size() >= end + 4 + length) return in.substr(0, end + 4 + length);
    }
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return {};
    in.append(buf, static_cast<std::size_t>(n));
  }
}

void send_all(int fd, const std::string& s) {
  std::size_t at = 0;
  while (at < s.size()) {
    ssize_t n = ::send(fd, s.data() + at, s.size() - at, MSG_NOSIGNAL);
    if (n <= 0) return;
    at += static_cast<std::size_t>(n);
  }
}

const char kOk[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

HttpOptions options(const std::string& opts = "{}") {
  return parse_provider_config("hooks", "webhook", "http", std::nullopt, opts).http;
}

HttpJob post(std::uint64_t id, const std::string& url) {
  HttpJob j;
  j.id = id;
  j.method = "POST";
  j.url = url;
  j.headers = {{"Content-Type", "application/json"}};
  j.body = "{\"id\":" + std::to_string(id) + "}";
  return j;
}

}  // namespace

TEST(HttpPipeline, AnswersInPiecesAndChunked) {
  ScriptedServer server([](int fd, int) {
    for (int i = 0;; ++i) {
      if (read_request(fd).empty()) return;
      std::string resp = i % 2 == 0 ? std::string(
                                          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                          "3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n")
                                    : std::string(
                                          "HTTP/1.1 201 Created\r\nContent-Length: 5\r\n"
                                          "\r\nfghij");
      for (char c : resp) {  // one byte at a time, with pauses
        send_all(fd, std::string(1, c));
        if (c == '\n') std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    }
  });
  HttpSender sender(options(R"({"max_connections":1})"));
  for (int i = 1; i <= 4; ++i) sender.add(post(i, server.url()));
  auto r = drive_until_idle(sender);
  ASSERT_EQ(r.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(r[i].outcome.disposition, Disposition::Sent) << r[i].outcome.failure_reason;
    EXPECT_EQ(r[i].response_body, i % 2 == 0 ? "abcde" : "fghij");
  }
  EXPECT_EQ(server.connections(), 1);  // all four on one kept-alive connection
  EXPECT_EQ(sender.stats().connections_opened, 1u);
}

TEST(HttpPipeline, ConnectionCloseOpensANewConnection) {
  ScriptedServer server([](int fd, int) {
    if (read_request(fd).empty()) return;
    send_all(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
    ::shutdown(fd, SHUT_WR);
  });
  HttpSender sender(options(R"({"max_connections":1})"));
  for (int i = 1; i <= 3; ++i) sender.add(post(i, server.url()));
  auto r = drive_until_idle(sender);
  ASSERT_EQ(r.size(), 3u);
  for (const auto& x : r) EXPECT_EQ(x.outcome.disposition, Disposition::Sent);
  EXPECT_EQ(server.connections(), 3);
}

TEST(HttpPipeline, BodyUntilTheServerCloses) {
  ScriptedServer server([](int fd, int) {
    if (read_request(fd).empty()) return;
    send_all(fd, "HTTP/1.1 200 OK\r\n\r\nno length");
    ::shutdown(fd, SHUT_WR);
  });
  HttpSender sender(options());
  sender.add(post(1, server.url()));
  auto r = drive_until_idle(sender);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].outcome.disposition, Disposition::Sent);
  EXPECT_EQ(r[0].response_body, "no length");
}

// A server that closes a kept-alive connection without saying so (its idle timeout) just as the
// next request goes out: that request was not answered, so it goes once more on a new
// connection, as libcurl does.
TEST(HttpPipeline, KeptAliveConnectionClosedUnderARequestIsRetriedOnce) {
  ScriptedServer server([](int fd, int conn) {
    if (read_request(fd).empty()) return;
    send_all(fd, kOk);
    if (conn == 1) {
      read_request(fd);  // the second request: closed unanswered
      return;
    }
    while (!read_request(fd).empty()) send_all(fd, kOk);
  });
  HttpSender sender(options(R"({"max_connections":1})"));
  sender.add(post(1, server.url()));
  auto first = drive_until_idle(sender);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].outcome.disposition, Disposition::Sent);
  sender.add(post(2, server.url()));
  auto second = drive_until_idle(sender);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].outcome.disposition, Disposition::Sent) << second[0].outcome.failure_reason;
  EXPECT_EQ(server.connections(), 2);
}

// A server that answers before it has read the whole request (413 for a large body) and reads
// no further: that connection is not used again (the rest of the body would be read as the next
// request).
TEST(HttpPipeline, AnswerBeforeTheWholeRequestEndsTheConnection) {
  ScriptedServer server([](int fd, int conn) {
    if (conn == 1) {
      std::string head;
      char c;
      while (head.find("\r\n\r\n") == std::string::npos && ::recv(fd, &c, 1, 0) == 1) head += c;
      send_all(fd, "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n");
      pollfd p{fd, POLLRDHUP, 0};
      ::poll(&p, 1, 10000);  // until the client closes (bounded)
      return;
    }
    while (!read_request(fd).empty()) send_all(fd, kOk);
  });
  HttpSender sender(options(R"({"max_connections":1,"timeout_ms":3000})"));
  HttpJob big = post(1, server.url());
  big.body.assign(64 << 20, 'x');  // more than the kernel buffers on loopback
  sender.add(std::move(big));
  sender.add(post(2, server.url()));
  auto r = drive_until_idle(sender);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].status, 413);
  EXPECT_EQ(r[0].outcome.disposition, Disposition::Failed);
  EXPECT_EQ(r[1].outcome.disposition, Disposition::Sent) << r[1].outcome.failure_reason;
  EXPECT_EQ(server.connections(), 2);
}

// A fresh connection closed unanswered is not retried: deferred, as libcurl's "Empty reply".
TEST(HttpPipeline, EmptyReplyAndCutAnswersAreDeferred) {
  ScriptedServer server([](int fd, int conn) {
    if (read_request(fd).empty()) return;
    if (conn == 2) send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    if (conn == 3) send_all(fd, "SMTP 220 hello\r\n\r\n");
  });
  HttpSender sender(options(R"({"max_connections":1})"));
  for (int i = 1; i <= 3; ++i) sender.add(post(i, server.url()));
  auto r = drive_until_idle(sender);
  ASSERT_EQ(r.size(), 3u);
  for (const auto& x : r) {
    EXPECT_EQ(x.outcome.disposition, Disposition::Deferred);
    EXPECT_EQ(x.outcome.failure_reason.rfind("transport error: ", 0), 0u)
        << x.outcome.failure_reason;
  }
  EXPECT_EQ(r[0].curl_code, CURLE_GOT_NOTHING);
  EXPECT_EQ(r[1].curl_code, CURLE_PARTIAL_FILE);
  EXPECT_EQ(r[2].curl_code, CURLE_WEIRD_SERVER_REPLY);
}

// A server that accepts and never answers holds only its own connection: requests elsewhere
// complete meanwhile, and its request is deferred at its timeout.
TEST(HttpPipeline, StalledServerBlocksNothingElse) {
  ScriptedServer stalled([](int fd, int) {
    read_request(fd);
    read_request(fd);  // never answers; ends when the client gives up
  });
  ScriptedServer fine([](int fd, int) {
    while (!read_request(fd).empty()) send_all(fd, kOk);
  });
  HttpSender sender(options(R"({"max_connections":2,"timeout_ms":1000})"));
  sender.add(post(1, stalled.url()));
  for (int i = 2; i <= 20; ++i) sender.add(post(i, fine.url()));
  std::vector<HttpResult> got;
  while (got.size() < 19) {
    sender.poll(100);
    for (auto& r : sender.take_completed()) got.push_back(std::move(r));
    ASSERT_FALSE(sender.idle() && got.size() < 19);
  }
  // The nineteen others are in before the stalled one's timeout ends it.
  for (const auto& r : got) {
    EXPECT_NE(r.id, 1u);
    EXPECT_EQ(r.outcome.disposition, Disposition::Sent);
  }
  auto last = drive_until_idle(sender);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].id, 1u);
  EXPECT_EQ(last[0].outcome.disposition, Disposition::Deferred);
  EXPECT_EQ(last[0].curl_code, CURLE_OPERATION_TIMEDOUT);
  EXPECT_EQ(last[0].outcome.failure_reason.rfind("timeout: ", 0), 0u);
}

// max_per_second: one token bucket; what is over the rate waits in the queue.
TEST(HttpPipeline, RateLimitHolds) {
  ScriptedServer server([](int fd, int) {
    while (!read_request(fd).empty()) send_all(fd, kOk);
  });
  HttpSender sender(options(R"({"max_connections":4,"max_per_second":0.5})"));
  for (int i = 1; i <= 3; ++i) sender.add(post(i, server.url()));
  sender.process({});  // starts what the bucket allows: one (burst 1)
  EXPECT_EQ(sender.in_flight() + sender.take_completed().size(), 1u);
  EXPECT_EQ(sender.queued(), 2u);
  EXPECT_GT(sender.wait_timeout_ms(), 0);  // the next token is about 2 s away
}

// Both paths send the same request: method, path, headers (names and values) and body.
TEST(HttpPipeline, SameRequestAsLibcurl) {
  ServerProcess server("http_server.py", {"--key", "k"});
  std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/ok/hook?x=1";
  for (bool native : {true, false}) {
    HttpSender sender(options(), native);
    HttpJob j = post(1, url);
    j.headers.emplace_back("X-Empty", "");
    sign_webhook(j, "k", "1");
    sender.add(std::move(j));
    HttpJob form = post(2, url);
    form.headers.clear();
    form.method = "PUT";
    sender.add(std::move(form));
    auto r = drive_until_idle(sender);
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].outcome.disposition, Disposition::Sent);
  }
  ASSERT_TRUE(server.wait_for("requests", 4));
  std::vector<nlohmann::json> rec;
  for (int i = 1; i <= 4; ++i)
    rec.push_back(ServerProcess::read_json(server.dir() + "/" + std::to_string(i) + ".json"));
  // (http.server runs the requests in threads: pair them by method, not by order.)
  auto by_method = [&](const char* m, int half) {
    for (int i = half * 2; i < half * 2 + 2; ++i)
      if (rec[i]["method"] == m) return rec[i];
    return nlohmann::json();
  };
  for (const char* m : {"POST", "PUT"}) {
    nlohmann::json a = by_method(m, 0), b = by_method(m, 1);
    ASSERT_FALSE(a.is_null());
    ASSERT_FALSE(b.is_null());
    EXPECT_EQ(a["path"], b["path"]);
    EXPECT_EQ(a["headers"], b["headers"]) << m;
    EXPECT_EQ(a["body"], b["body"]);
  }
  EXPECT_TRUE(by_method("POST", 0)["signature_ok"].get<bool>());
}
