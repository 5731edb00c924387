// A small non-blocking SMTP client with command pipelining (RFC 2920), used by SmtpSender for
// plaintext providers (smtp://, starttls off, no AUTH) whose host is an IP literal or
// `localhost`; every other provider keeps going through libcurl.
//
// Why not libcurl: libcurl 7.88 (Debian 12) sends each SMTP command and waits for its reply
// before the next (MAIL, RCPT, DATA, then the data and "."), one easy handle per message with
// its setup, and reads the reply to the final "." in a blocking wait (curl#4015) during which
// no other connection of the process progresses. Profiled on bench/sender (10,000 messages into
// smtp-sink, 8 connections), libcurl's transfers took about 40 % of the worker's time at ~4,000
// messages/s. libcurl has no SMTP pipelining option. Here, per connection and message, one
// write carries the previous message's data, its ".", and the next MAIL, RCPT and DATA (DATA
// ends a group, RFC 2920 3.1: the data is sent once its 354 came), and one read takes their
// replies: one round trip per message, no blocking wait anywhere.
//
// Same contract as the curl path: one MAIL and one RCPT per message (the result is that
// recipient's), the message bytes as built (CRLF), dot-stuffed here; the reply that decided a
// message is classified by classify_smtp_reply. A failure before the data (MAIL or RCPT
// refused) fails that message only: the connection goes on after an RSET. A connection that
// fails (refused, closed, timeout) defers the messages it carried that have no final reply yet
// (after the "." that outcome is unknown: a retry may deliver twice, as with libcurl).
// Connections: at most max_connections, each reused for up to max_messages_per_connection
// messages, then QUIT; an idle connection the server closed is dropped silently. Servers that
// do not advertise PIPELINING get one command at a time over the same state machine.
#pragma once

#include "delivery/curl_engine.hpp"  // WaitSocket, ReadySocket, EngineStats
#include "delivery/provider_config.hpp"
#include "delivery/token_bucket.hpp"

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace mc::delivery {

struct SmtpJob;
struct SmtpResult;

class SmtpPipeline {
 public:
  // Whether this client can serve the provider (plaintext, no AUTH, literal address).
  static bool usable(const SmtpOptions& options);

  explicit SmtpPipeline(SmtpOptions options);
  ~SmtpPipeline();
  SmtpPipeline(const SmtpPipeline&) = delete;
  SmtpPipeline& operator=(const SmtpPipeline&) = delete;

  void add(SmtpJob job);
  std::vector<SmtpResult> take_completed();
  std::size_t queued() const { return queue_.size(); }
  std::size_t in_flight() const;
  bool idle() const { return queue_.empty() && in_flight() == 0; }
  const EngineStats& stats() const { return stats_; }

  // External wait (same protocol as CurlEngine).
  std::vector<WaitSocket> wait_sockets() const;
  long wait_timeout_ms();
  void process(const std::vector<ReadySocket>& ready);
  // poll(2) around the above, for callers without their own wait (tests).
  std::size_t poll(int timeout_ms);

 private:
  struct Conn;
  struct Message;
  void start_messages(std::int64_t now);
  void feed(Conn& c, std::int64_t now);
  void on_reply(Conn& c, const std::string& lines, std::int64_t now);
  void queue_commands(Conn& c);
  void flush(Conn& c, std::int64_t now);
  // curl_code: the CURLcode libcurl would report for that failure (SmtpResult's contract).
  void fail_conn(Conn& c, const std::string& why, int curl_code = CURLE_RECV_ERROR,
                 bool requeue_head = false);
  void complete(Message& m, const std::string& reply_lines, bool transport, const std::string& why,
                int curl_code = 0);
  void open_conn(Conn& c, std::int64_t now);
  void close_conn(Conn& c);

  SmtpOptions options_;
  TokenBucket bucket_;
  std::deque<std::unique_ptr<Message>> queue_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<SmtpResult> completed_;
  EngineStats stats_;
};

}  // namespace mc::delivery
