#include "delivery/smtp_pipeline.hpp"

#include "delivery/bounce_classifier.hpp"
#include "delivery/smtp_reply.hpp"
#include "delivery/smtp_sender.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace mc::delivery {

namespace {

enum class Expect { Greeting, Ehlo, Rset, Mail, Rcpt, Data, EndData };

// A literal address of the provider's host (`localhost` is 127.0.0.1); false: not a literal.
bool literal_address(const std::string& host, sockaddr_storage* out, socklen_t* len) {
  std::memset(out, 0, sizeof *out);
  std::string h = strcasecmp(host.c_str(), "localhost") == 0 ? "127.0.0.1" : host;
  auto* v4 = reinterpret_cast<sockaddr_in*>(out);
  if (inet_pton(AF_INET, h.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    *len = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(out);
  if (inet_pton(AF_INET6, h.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    *len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

// The message as DATA content: lines starting with "." doubled, CRLF before the final ".".
void append_data(std::string& out, const std::string& message) {
  out.reserve(out.size() + message.size() + 16);
  std::size_t from = 0;
  if (!message.empty() && message[0] == '.') out += '.';
  for (;;) {
    std::size_t dot = message.find("\n.", from);
    if (dot == std::string::npos) break;
    out.append(message, from, dot + 1 - from);
    out += '.';
    from = dot + 1;
  }
  out.append(message, from, std::string::npos);
  if (message.size() < 2 || message.compare(message.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  out += ".\r\n";
}

int reply_code(const std::string& lines) {
  if (lines.size() < 3) return 0;
  return (lines[0] - '0') * 100 + (lines[1] - '0') * 10 + (lines[2] - '0');
}

bool advertises_pipelining(const std::string& lines) {
  std::size_t at = 0;
  while (at < lines.size()) {
    std::size_t end = lines.find("\r\n", at);
    if (end == std::string::npos) end = lines.size();
    if (end - at >= 14 && strncasecmp(lines.c_str() + at + 4, "PIPELINING", 10) == 0) return true;
    at = end + 2;
  }
  return false;
}

}  // namespace

struct SmtpPipeline::Message {
  SmtpJob job;
  std::string refusal;  // the first refused reply before the data (MAIL or RCPT)
  bool new_connection = false;
  bool data_written = false;  // its data went out: a failure now leaves the outcome unknown
  int requeued = 0;           // times a failed connection gave it back before its data
};

struct SmtpPipeline::Conn {
  struct Pending {
    Expect what;
    Message* msg;
  };
  struct Command {
    std::string text;
    Expect what;
    Message* msg;
  };
  int fd = -1;
  bool connecting = false;
  bool ready = false;  // EHLO answered
  bool pipelining = false;
  bool data_wait = false;  // a DATA is unanswered: nothing else may be sent before its reply
  std::string in, out, reply;
  std::size_t out_sent = 0;
  std::deque<Pending> expect;
  std::deque<Command> commands;                    // not written yet
  std::vector<std::unique_ptr<Message>> messages;  // on this connection, no final reply yet
  int started = 0;                                 // messages this connection has taken
  std::int64_t last_progress = 0;

  bool busy() const { return connecting || !expect.empty(); }
};

bool SmtpPipeline::usable(const SmtpOptions& o) {
  sockaddr_storage a;
  socklen_t len;
  return !o.implicit_tls && o.starttls == StartTls::Off && o.username.empty() &&
         literal_address(o.url.host, &a, &len);
}

SmtpPipeline::SmtpPipeline(SmtpOptions options)
    : options_(std::move(options)),
      bucket_(options_.max_per_second, std::max(1.0, options_.max_per_second), monotonic_ms()) {
  int n = std::max(1, options_.max_connections);
  for (int i = 0; i < n; ++i) conns_.push_back(std::make_unique<Conn>());
}

SmtpPipeline::~SmtpPipeline() {
  for (auto& c : conns_)
    if (c->fd >= 0) ::close(c->fd);
}

void SmtpPipeline::add(SmtpJob job) {
  auto m = std::make_unique<Message>();
  m->job = std::move(job);
  for (const std::string* v : {&m->job.mail_from, &m->job.rcpt_to})
    for (char ch : *v)
      if (ch == '\r' || ch == '\n' || ch == '<' || ch == '>' || ch == '\0') {
        SmtpResult r;
        r.id = m->job.id;
        r.message_id = m->job.message_id;
        r.outcome.disposition = Disposition::Failed;
        r.outcome.failure_reason =
            "not sent: envelope address contains CR, LF, NUL or angle brackets";
        completed_.push_back(std::move(r));
        return;
      }
  queue_.push_back(std::move(m));
}

std::vector<SmtpResult> SmtpPipeline::take_completed() {
  std::vector<SmtpResult> out;
  out.swap(completed_);
  return out;
}

std::size_t SmtpPipeline::in_flight() const {
  std::size_t n = 0;
  for (const auto& c : conns_) n += c->messages.size();
  return n;
}

void SmtpPipeline::close_conn(Conn& c) {
  if (c.fd >= 0) ::close(c.fd);
  Conn fresh;
  fresh.started = 0;
  c = std::move(fresh);
}

void SmtpPipeline::complete(Message& m, const std::string& reply_lines, bool transport,
                            const std::string& why, int curl_code) {
  SmtpResult r;
  r.id = m.job.id;
  r.message_id = m.job.message_id;
  r.new_connection = m.new_connection;
  if (transport) {
    r.outcome.disposition = Disposition::Deferred;
    r.outcome.failure_reason = why;
    r.curl_error = why;
    r.curl_code = curl_code;
  } else {
    std::optional<SmtpReply> reply = parse_smtp_reply(reply_lines);
    SmtpReply rep = reply ? *reply : SmtpReply{reply_code(reply_lines), {}, {}};
    r.reply = rep.str();
    r.reply_code = rep.code;
    r.outcome = classify_smtp_reply(rep);
  }
  ++stats_.transfers_done;
  completed_.push_back(std::move(r));
}

void SmtpPipeline::fail_conn(Conn& c, const std::string& why, int curl_code, bool requeue_head) {
  // A message whose data never went out was not handed over: it goes back to the front of the
  // queue for another connection (twice at most), so that a message pipelined behind a failing
  // one is not deferred with it, nor one sent on a connection the server had just closed. The
  // head of a connection that timed out or could not connect is deferred (it is the one the
  // server stalls on), as are messages whose data went out (outcome unknown).
  for (auto it = c.messages.rbegin(); it != c.messages.rend(); ++it) {
    Message& m = **it;
    bool head = it == c.messages.rend() - 1;
    if (!m.data_written && m.refusal.empty() && m.requeued < 2 && (!head || requeue_head)) {
      ++m.requeued;
      m.new_connection = false;
      queue_.push_front(std::move(*it));
    }
  }
  for (auto& m : c.messages)
    if (m) complete(*m, {}, true, why, curl_code);
  c.messages.clear();
  close_conn(c);
}

void SmtpPipeline::open_conn(Conn& c, std::int64_t now) {
  sockaddr_storage addr;
  socklen_t len = 0;
  literal_address(options_.url.host, &addr, &len);
  if (addr.ss_family == AF_INET)
    reinterpret_cast<sockaddr_in*>(&addr)->sin_port =
        htons(static_cast<uint16_t>(options_.url.port));
  else
    reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port =
        htons(static_cast<uint16_t>(options_.url.port));
  c.fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  c.last_progress = now;
  ++stats_.connections_opened;
  if (c.fd < 0) return;  // reported by the caller's check
  int one = 1;
  setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int rc = ::connect(c.fd, reinterpret_cast<sockaddr*>(&addr), len);
  c.connecting = rc != 0 && errno == EINPROGRESS;
  if (rc != 0 && errno != EINPROGRESS) {
    std::string why = std::string("transport error: Failed to connect to ") + options_.url.host +
                      " port " + std::to_string(options_.url.port) + ": " + std::strerror(errno);
    fail_conn(c, why, CURLE_COULDNT_CONNECT);
    return;
  }
  c.expect.push_back({Expect::Greeting, nullptr});
}

void SmtpPipeline::queue_commands(Conn& c) {
  if (c.fd < 0 || c.connecting || !c.ready) return;
  while (!c.commands.empty() && !c.data_wait && (c.pipelining || c.expect.empty())) {
    Conn::Command& cmd = c.commands.front();
    c.out += cmd.text;
    c.expect.push_back({cmd.what, cmd.msg});
    if (cmd.what == Expect::Data) c.data_wait = true;
    if (cmd.what == Expect::EndData) cmd.msg->data_written = true;
    c.commands.pop_front();
  }
}

void SmtpPipeline::flush(Conn& c, std::int64_t now) {
  queue_commands(c);
  if (c.fd < 0 || c.connecting) return;
  while (c.out_sent < c.out.size()) {
    ssize_t n = ::send(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_sent += static_cast<std::size_t>(n);
      c.last_progress = now;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n < 0 && errno == EINTR) continue;
    fail_conn(c, std::string("transport error: send failed: ") + std::strerror(errno),
              CURLE_SEND_ERROR);
    return;
  }
  c.out.clear();
  c.out_sent = 0;
}

void SmtpPipeline::start_messages(std::int64_t now) {
  int limit = options_.max_messages_per_connection;
  for (auto& cp : conns_) {
    Conn& c = *cp;
    // A connection that carried its share: QUIT once idle (the server closes; no need to wait).
    if (c.fd >= 0 && limit > 0 && c.started >= limit && c.messages.empty() && !c.busy() &&
        c.commands.empty()) {
      static const char kQuit[] = "QUIT\r\n";
      (void)!::send(c.fd, kQuit, sizeof kQuit - 1, MSG_NOSIGNAL);
      close_conn(c);
    }
    std::size_t depth = c.fd >= 0 && c.ready && !c.pipelining ? 1 : 2;
    while (!queue_.empty() && c.messages.size() < depth && (limit <= 0 || c.started < limit)) {
      if (!bucket_.unlimited() && !bucket_.try_take(now)) return;
      bool opened = false;
      if (c.fd < 0) {
        open_conn(c, now);
        if (c.fd < 0) {  // socket() failed
          auto& m = queue_.front();
          complete(*m, {}, true, std::string("transport error: socket: ") + std::strerror(errno));
          queue_.pop_front();
          continue;
        }
        opened = true;
      }
      std::unique_ptr<Message> m = std::move(queue_.front());
      queue_.pop_front();
      m->new_connection = opened;
      Message* raw = m.get();
      c.commands.push_back({"MAIL FROM:<" + raw->job.mail_from + ">\r\n", Expect::Mail, raw});
      c.commands.push_back({"RCPT TO:<" + raw->job.rcpt_to + ">\r\n", Expect::Rcpt, raw});
      c.commands.push_back({"DATA\r\n", Expect::Data, raw});
      c.messages.push_back(std::move(m));
      ++c.started;
    }
  }
}

void SmtpPipeline::on_reply(Conn& c, const std::string& lines, std::int64_t now) {
  c.last_progress = now;
  int code = reply_code(lines);
  if (c.expect.empty()) {  // unsolicited (421 before an idle close): the connection ends
    if (c.messages.empty())
      close_conn(c);
    else
      fail_conn(c, "transport error: unexpected reply: " + lines.substr(0, lines.find('\r')));
    return;
  }
  Conn::Pending p = c.expect.front();
  c.expect.pop_front();
  Message* m = p.msg;
  auto finish = [&](const std::string& reply) {
    auto it = std::find_if(c.messages.begin(), c.messages.end(),
                           [&](const std::unique_ptr<Message>& x) { return x.get() == m; });
    if (it == c.messages.end()) return;
    complete(*m, reply, false, {});
    c.messages.erase(it);
  };
  switch (p.what) {
    case Expect::Greeting:
      if (code / 100 != 2) {
        fail_conn(c, "transport error: greeting " + lines.substr(0, lines.find('\r')),
                  CURLE_WEIRD_SERVER_REPLY);
        return;
      }
      c.out +=
          "EHLO " + (options_.helo.empty() ? std::string("localhost") : options_.helo) + "\r\n";
      c.expect.push_back({Expect::Ehlo, nullptr});
      break;
    case Expect::Ehlo:
      if (code / 100 != 2) {
        fail_conn(c, "transport error: EHLO refused: " + lines.substr(0, lines.find('\r')),
                  CURLE_WEIRD_SERVER_REPLY);
        return;
      }
      c.ready = true;
      c.pipelining = advertises_pipelining(lines);
      break;
    case Expect::Rset:
      if (code / 100 != 2) {
        fail_conn(c, "transport error: RSET refused: " + lines.substr(0, lines.find('\r')));
        return;
      }
      break;
    case Expect::Mail:
    case Expect::Rcpt:
      if (code / 100 != 2 && m->refusal.empty()) m->refusal = lines;
      break;
    case Expect::Data:
      c.data_wait = false;
      if (code == 354) {
        std::string body;
        if (m->refusal.empty())
          append_data(body, m->job.message);
        else
          body = ".\r\n";  // a server that took DATA without a recipient: send nothing
        c.commands.push_front({std::move(body), Expect::EndData, m});
      } else {
        // The transaction is over without data: RSET before the next MAIL.
        finish(m->refusal.empty() ? lines : m->refusal);
        c.commands.push_front({"RSET\r\n", Expect::Rset, nullptr});
      }
      break;
    case Expect::EndData:
      finish(m->refusal.empty() ? lines : m->refusal);
      break;
  }
}

void SmtpPipeline::feed(Conn& c, std::int64_t now) {
  char buf[16384];
  for (;;) {
    ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n > 0) {
      c.in.append(buf, static_cast<std::size_t>(n));
      if (static_cast<std::size_t>(n) < sizeof buf) break;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0 && errno == EINTR) continue;
    std::string why = n == 0 ? std::string("transport error: connection closed by the server")
                             : std::string("transport error: recv: ") + std::strerror(errno);
    // Closed before the greeting: to the caller, the connection failed.
    int code = !c.ready && !c.expect.empty() && c.expect.front().what == Expect::Greeting
                   ? CURLE_COULDNT_CONNECT
                   : CURLE_RECV_ERROR;
    // Replies that came before the close still count.
    std::size_t at = 0, nl;
    while (c.fd >= 0 && (nl = c.in.find('\n', at)) != std::string::npos) {
      std::string line = c.in.substr(at, nl - at);
      at = nl + 1;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      c.reply += line + "\r\n";
      if (line.size() >= 4 && line[3] == '-') continue;
      std::string r;
      r.swap(c.reply);
      on_reply(c, r, now);
    }
    if (c.fd < 0) return;
    if (c.messages.empty() && c.expect.empty())
      close_conn(c);  // an idle connection the server closed
    else
      fail_conn(c, why, code, /*requeue_head=*/true);
    return;
  }
  std::size_t at = 0, nl;
  while (c.fd >= 0 && (nl = c.in.find('\n', at)) != std::string::npos) {
    std::size_t end = nl > at && c.in[nl - 1] == '\r' ? nl - 1 : nl;
    bool more = end - at >= 4 && c.in[at + 3] == '-';
    c.reply.append(c.in, at, end - at);
    c.reply += "\r\n";
    at = nl + 1;
    if (more) continue;
    std::string r;
    r.swap(c.reply);
    on_reply(c, r, now);
  }
  if (c.fd >= 0) c.in.erase(0, at);
}

std::vector<WaitSocket> SmtpPipeline::wait_sockets() const {
  std::vector<WaitSocket> out;
  for (const auto& c : conns_)
    if (c->fd >= 0) out.push_back({c->fd, true, c->connecting || c->out_sent < c->out.size()});
  return out;
}

long SmtpPipeline::wait_timeout_ms() {
  std::int64_t now = monotonic_ms();
  long wait = -1;
  auto lower = [&](std::int64_t ms) {
    long v = static_cast<long>(std::max<std::int64_t>(0, ms));
    if (wait < 0 || v < wait) wait = v;
  };
  if (!queue_.empty()) {
    int limit = options_.max_messages_per_connection;
    for (const auto& c : conns_) {
      std::size_t depth = c->fd >= 0 && c->ready && !c->pipelining ? 1 : 2;
      bool spent = limit > 0 && c->started >= limit;
      if ((c->messages.size() < depth && !spent) || (spent && c->messages.empty() && !c->busy())) {
        lower(bucket_.unlimited() ? 0 : bucket_.wait_ms(now));
        break;
      }
    }
  }
  for (const auto& c : conns_)
    if (c->fd >= 0 && c->busy()) lower(c->last_progress + options_.timeout_ms - now);
  return wait;
}

void SmtpPipeline::process(const std::vector<ReadySocket>& ready) {
  std::int64_t now = monotonic_ms();
  for (const ReadySocket& r : ready) {
    for (auto& cp : conns_) {
      Conn& c = *cp;
      if (c.fd != r.fd || c.fd < 0) continue;
      if (c.connecting && (r.writable || r.readable || r.error)) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          fail_conn(c,
                    std::string("transport error: Failed to connect to ") + options_.url.host +
                        " port " + std::to_string(options_.url.port) + ": " + std::strerror(err),
                    CURLE_COULDNT_CONNECT);
          break;
        }
        c.connecting = false;
        c.last_progress = now;
      }
      if (r.readable || r.error) feed(c, now);
      break;
    }
  }
  start_messages(now);
  for (auto& cp : conns_) {
    Conn& c = *cp;
    if (c.fd < 0) continue;
    if (c.busy() && now - c.last_progress > options_.timeout_ms) {
      fail_conn(
          c,
          "timeout: no reply from the server within " + std::to_string(options_.timeout_ms) + " ms",
          CURLE_OPERATION_TIMEDOUT);
      continue;
    }
    flush(c, now);
  }
}

std::size_t SmtpPipeline::poll(int timeout_ms) {
  std::int64_t deadline = monotonic_ms() + std::max(0, timeout_ms);
  for (;;) {
    std::vector<WaitSocket> socks = wait_sockets();
    long t = wait_timeout_ms();
    std::int64_t left = deadline - monotonic_ms();
    long wait = static_cast<long>(std::max<std::int64_t>(0, left));
    if (t >= 0 && t < wait) wait = t;
    std::vector<pollfd> fds;
    for (const WaitSocket& s : socks)
      fds.push_back({s.fd, static_cast<short>(POLLIN | (s.write ? POLLOUT : 0)), 0});
    if (!fds.empty() || wait > 0) ::poll(fds.data(), fds.size(), static_cast<int>(wait));
    std::vector<ReadySocket> ready;
    for (const pollfd& p : fds)
      if (p.revents)
        ready.push_back({p.fd, (p.revents & (POLLIN | POLLHUP)) != 0, (p.revents & POLLOUT) != 0,
                         (p.revents & POLLERR) != 0});
    process(ready);
    if (!completed_.empty() || idle() || monotonic_ms() >= deadline) return completed_.size();
  }
}

}  // namespace mc::delivery
