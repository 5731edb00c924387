#include "delivery/http_pipeline.hpp"

#include "delivery/delivery_error.hpp"
#include "delivery/http_outcome.hpp"
#include "delivery/http_response.hpp"
#include "delivery/http_sender.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace mc::delivery {

namespace {

// A literal address of `host` (`localhost` is 127.0.0.1); false: not a literal.
bool literal_address(const std::string& host, int port, sockaddr_storage* out, socklen_t* len) {
  std::memset(out, 0, sizeof *out);
  const char* h = strcasecmp(host.c_str(), "localhost") == 0 ? "127.0.0.1" : host.c_str();
  auto* v4 = reinterpret_cast<sockaddr_in*>(out);
  if (inet_pton(AF_INET, h, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    *len = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(out);
  if (inet_pton(AF_INET6, h, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    *len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

bool named(const std::string& name, const char* what) {
  return strcasecmp(name.c_str(), what) == 0;
}

}  // namespace

std::string build_http_request(const HttpJob& job, const ParsedUrl& url) {
  const std::string& method = job.method.empty() ? std::string("POST") : job.method;
  bool get = method == "GET";
  bool has_host = false, has_accept = false, has_type = false;
  for (const auto& [name, value] : job.headers) {
    for (const std::string* s : {&name, &value})
      for (char c : *s)
        if (c == '\r' || c == '\n' || c == '\0')
          throw DeliveryError("header " + name + ": contains a line break or NUL");
    has_host = has_host || named(name, "Host");
    has_accept = has_accept || named(name, "Accept");
    has_type = has_type || named(name, "Content-Type");
  }
  std::string out;
  out.reserve(160 + url.host.size() + url.path.size() + job.body.size() + 64 * job.headers.size());
  out += method;
  out += ' ';
  out += url.path.empty() ? "/" : url.path;
  out += " HTTP/1.1\r\n";
  if (!has_host) {
    out += "Host: ";
    bool v6 = url.host.find(':') != std::string::npos;
    if (v6) out += '[';
    out += url.host;
    if (v6) out += ']';
    if (url.port != 80) {
      out += ':';
      out += std::to_string(url.port);
    }
    out += "\r\n";
  }
  if (!has_accept) out += "Accept: */*\r\n";
  // As with libcurl: a header given with an empty value is not sent (and only removes the
  // default of that name).
  for (const auto& [name, value] : job.headers) {
    if (value.empty()) continue;
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (!get) {
    out += "Content-Length: ";
    out += std::to_string(job.body.size());
    out += "\r\n";
    if (!has_type) out += "Content-Type: application/x-www-form-urlencoded\r\n";
  }
  out += "\r\n";
  if (!get) out += job.body;
  return out;
}

struct HttpPipeline::Request {
  std::uint64_t id = 0;
  std::string wire;    // the request bytes
  std::string origin;  // host and port: which connections may carry it
  std::string host;
  int port = 0;
  bool head = false;
  bool retried = false;  // sent once more after a kept-alive connection closed unanswered
  bool new_connection = false;
};

struct HttpPipeline::Conn {
  int fd = -1;
  std::string origin;
  bool connecting = false;
  int served = 0;       // answers on this connection
  bool reused = false;  // the current request is not the connection's first
  std::string out;
  std::size_t out_sent = 0;
  std::unique_ptr<Request> req;
  HttpResponseReader reader;
  std::int64_t deadline = 0;
};

bool HttpPipeline::usable(const HttpJob& job, const ParsedUrl& url) {
  if (url.scheme != "http") return false;
  sockaddr_storage a;
  socklen_t len;
  if (!literal_address(url.host, url.port, &a, &len)) return false;
  for (const auto& [name, value] : job.headers)
    if (named(name, "Expect") && !value.empty()) return false;
  return true;
}

HttpPipeline::HttpPipeline(const HttpOptions& options, TokenBucket* bucket)
    : options_(options), bucket_(bucket) {
  int n = std::max(1, options_.max_connections);
  for (int i = 0; i < n; ++i) conns_.push_back(std::make_unique<Conn>());
}

HttpPipeline::~HttpPipeline() {
  for (auto& c : conns_)
    if (c->fd >= 0) ::close(c->fd);
}

void HttpPipeline::add(HttpJob job, const ParsedUrl& url) {
  auto r = std::make_unique<Request>();
  r->id = job.id;
  try {
    r->wire = build_http_request(job, url);
  } catch (const std::exception& e) {
    HttpResult res;
    res.id = job.id;
    res.outcome.disposition = Disposition::Failed;
    res.outcome.failure_reason = std::string("not sent: ") + e.what();
    completed_.push_back(std::move(res));
    return;
  }
  r->host = url.host;
  r->port = url.port;
  r->origin = url.host + " " + std::to_string(url.port);
  r->head = job.method == "HEAD";
  queue_.push_back(std::move(r));
}

void HttpPipeline::take_completed(std::vector<HttpResult>& out) {
  for (auto& r : completed_) out.push_back(std::move(r));
  completed_.clear();
}

std::size_t HttpPipeline::completed() const { return completed_.size(); }

std::size_t HttpPipeline::in_flight() const {
  std::size_t n = 0;
  for (const auto& c : conns_) n += c->req ? 1 : 0;
  return n;
}

bool HttpPipeline::owns(int fd) const {
  if (fd < 0) return false;
  for (const auto& c : conns_)
    if (c->fd == fd) return true;
  return false;
}

void HttpPipeline::close(Conn& c) {
  if (c.fd >= 0) ::close(c.fd);
  c.fd = -1;
  c.origin.clear();
  c.connecting = false;
  c.served = 0;
  c.reused = false;
  c.out.clear();
  c.out_sent = 0;
}

void HttpPipeline::complete_transport(std::unique_ptr<Request> r, const std::string& why,
                                      int curl_code) {
  HttpResult res;
  res.id = r->id;
  res.new_connection = r->new_connection;
  res.curl_code = curl_code;
  res.curl_error = why;
  res.outcome = classify_transport_failure(
      (curl_code == CURLE_OPERATION_TIMEDOUT ? "timeout: " : "transport error: ") + why);
  ++stats_.transfers_done;
  completed_.push_back(std::move(res));
}

void HttpPipeline::fail(Conn& c, const std::string& why, int curl_code, bool retry_unanswered) {
  std::unique_ptr<Request> r = std::move(c.req);
  close(c);
  if (!r) return;
  if (retry_unanswered && !r->retried) {
    r->retried = true;
    r->new_connection = false;
    queue_.push_front(std::move(r));
    return;
  }
  complete_transport(std::move(r), why, curl_code);
}

HttpPipeline::Conn* HttpPipeline::pick(const Request& r) {
  Conn* closed = nullptr;
  Conn* other = nullptr;
  for (auto& cp : conns_) {
    Conn& c = *cp;
    if (c.req) continue;
    if (c.fd >= 0 && c.origin == r.origin) return &c;
    if (c.fd < 0) {
      if (!closed) closed = &c;
    } else if (!other) {
      other = &c;
    }
  }
  if (closed) return closed;
  if (other) close(*other);  // an idle connection elsewhere gives way
  return other;
}

int HttpPipeline::open(Conn& c, const Request& r) {
  sockaddr_storage addr;
  socklen_t len = 0;
  literal_address(r.host, r.port, &addr, &len);
  ++stats_.connections_opened;
  c.fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.fd < 0) return errno;
  int one = 1;
  setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int rc = ::connect(c.fd, reinterpret_cast<sockaddr*>(&addr), len);
  if (rc != 0 && errno != EINPROGRESS) {
    int err = errno;
    ::close(c.fd);
    c.fd = -1;
    return err;
  }
  c.connecting = rc != 0;
  c.origin = r.origin;
  c.served = 0;
  return 0;
}

void HttpPipeline::start_requests(std::int64_t now) {
  while (!queue_.empty()) {
    Conn* c = pick(*queue_.front());
    if (!c) return;
    if (!bucket_->try_take(now)) return;
    std::unique_ptr<Request> r = std::move(queue_.front());
    queue_.pop_front();
    if (c->fd < 0) {
      int err = open(*c, *r);
      if (err != 0) {
        std::string why = "Failed to connect to " + r->host + " port " + std::to_string(r->port) +
                          ": " + std::strerror(err);
        complete_transport(std::move(r), why, CURLE_COULDNT_CONNECT);
        continue;
      }
      r->new_connection = true;
    }
    c->reused = c->served > 0;
    c->reader.reset(r->head);
    c->deadline = now + options_.timeout_ms;
    c->out.assign(r->wire);
    c->out_sent = 0;
    c->req = std::move(r);
    if (!c->connecting) flush(*c);
  }
}

void HttpPipeline::flush(Conn& c) {
  while (c.fd >= 0 && c.out_sent < c.out.size()) {
    ssize_t n = ::send(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n < 0 && errno == EINTR) continue;
    // A kept-alive connection the server had closed: nothing was answered, send it again.
    fail(c, std::string("Send failure: ") + std::strerror(errno), CURLE_SEND_ERROR,
         /*retry_unanswered=*/c.reused);
    return;
  }
  if (c.fd >= 0) {
    c.out.clear();
    c.out_sent = 0;
  }
}

void HttpPipeline::on_response(Conn& c) {
  std::unique_ptr<Request> r = std::move(c.req);
  HttpResult res;
  res.id = r->id;
  res.new_connection = r->new_connection;
  res.status = c.reader.status();
  res.response_body = c.reader.take_body();
  res.outcome = classify_http_status(res.status, options_.success_codes, c.reader.retry_after(),
                                     res.response_body, std::time(nullptr));
  ++stats_.transfers_done;
  completed_.push_back(std::move(res));
  ++c.served;
  // An answer before the whole request went out (a server refusing a body early): the rest of
  // the request would be read as the next one, so the connection ends here.
  if (!c.reader.keep_alive() || c.out_sent < c.out.size()) close(c);
}

void HttpPipeline::on_readable(Conn& c, std::int64_t) {
  char buf[16384];
  for (;;) {
    ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n > 0) {
      if (!c.req) {  // nothing asked: a server that talks out of turn is not trusted further
        close(c);
        return;
      }
      std::size_t got = static_cast<std::size_t>(n);
      std::size_t used = c.reader.feed(buf, got);
      switch (c.reader.state()) {
        case HttpResponseReader::State::Done:
          on_response(c);
          if (used < got) close(c);  // bytes beyond the answer (no pipelining here)
          return;
        case HttpResponseReader::State::Error:
          fail(c, "Weird server reply: " + c.reader.error(), CURLE_WEIRD_SERVER_REPLY, false);
          return;
        case HttpResponseReader::State::Incomplete:
          if (got < sizeof buf) return;  // most likely all there is for now
          continue;
      }
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n < 0 && errno == EINTR) continue;
    if (!c.req) {  // an idle connection the server closed (or reset)
      close(c);
      return;
    }
    bool unanswered = !c.reader.started();
    if (n == 0) {
      if (c.reader.finish_at_eof() == HttpResponseReader::State::Done) {
        on_response(c);
        close(c);
        return;
      }
      fail(c,
           unanswered ? std::string("Empty reply from server")
                      : "Transferred a partial file: " + c.reader.error(),
           unanswered ? CURLE_GOT_NOTHING : CURLE_PARTIAL_FILE, unanswered && c.reused);
      return;
    }
    fail(c, std::string("Recv failure: ") + std::strerror(errno), CURLE_RECV_ERROR,
         unanswered && c.reused);
    return;
  }
}

void HttpPipeline::wait_sockets(std::vector<WaitSocket>& out) const {
  for (const auto& c : conns_)
    if (c->fd >= 0) out.push_back({c->fd, true, c->connecting || c->out_sent < c->out.size()});
}

long HttpPipeline::wait_timeout_ms() {
  std::int64_t now = monotonic_ms();
  long wait = -1;
  auto lower = [&](std::int64_t ms) {
    long v = static_cast<long>(std::max<std::int64_t>(0, ms));
    if (wait < 0 || v < wait) wait = v;
  };
  if (!completed_.empty()) lower(0);
  bool free_conn = false;
  for (const auto& c : conns_) {
    if (c->req)
      lower(c->deadline - now);
    else
      free_conn = true;
  }
  if (!queue_.empty() && free_conn) lower(bucket_->wait_ms(now));
  return wait;
}

void HttpPipeline::process(const std::vector<ReadySocket>& ready) {
  std::int64_t now = monotonic_ms();
  for (const ReadySocket& s : ready) {
    Conn* c = nullptr;
    for (auto& cp : conns_)
      if (cp->fd == s.fd && s.fd >= 0) {
        c = cp.get();
        break;
      }
    if (!c) continue;
    if (c->connecting) {
      if (!(s.writable || s.readable || s.error)) continue;
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        std::string host = c->req ? c->req->host : c->origin;
        int port = c->req ? c->req->port : 0;
        fail(*c,
             "Failed to connect to " + host + " port " + std::to_string(port) + ": " +
                 std::strerror(err),
             CURLE_COULDNT_CONNECT, false);
        continue;
      }
      c->connecting = false;
    }
    if (s.writable && c->out_sent < c->out.size()) flush(*c);
    if (c->fd >= 0 && (s.readable || s.error)) on_readable(*c, now);
  }
  for (auto& cp : conns_) {
    Conn& c = *cp;
    if (c.req && now >= c.deadline)
      fail(c,
           "Operation timed out after " + std::to_string(options_.timeout_ms) +
               " milliseconds with no complete response",
           CURLE_OPERATION_TIMEDOUT, false);
  }
  start_requests(now);
}

}  // namespace mc::delivery
