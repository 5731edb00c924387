// Sends built (and DKIM-signed) messages to one SMTP provider through libcurl, many at once, and
// classifies each result (bounce_classifier.hpp). Driven incrementally, so a PostgreSQL
// background worker can interleave it with its latch and CHECK_FOR_INTERRUPTS:
//
//   SmtpSender sender(config.smtp, password);      // one per provider, lives as long as the worker
//   sender.add({event_id, envelope_from, rcpt, bytes, message_id});   // never blocks
//   while (!sender.idle()) {
//     sender.poll(100);                             // waits <= 100 ms, progresses all transfers
//     for (SmtpResult& r : sender.take_completed()) record(r);   // outcome, reply, Message-ID
//     /* WaitLatch(..., 0) / CHECK_FOR_INTERRUPTS / claim more and add() */
//   }
//
// Per message: one easy handle, one MAIL FROM, one RCPT (so the result is that recipient's),
// the bytes uploaded as they are (CRLF; curl dot-stuffs). Connections: at most max_connections,
// each reused for up to max_messages_per_connection messages (see curl_engine.hpp); a failed
// transfer closes its connection (libcurl does so after any SMTP failure). TLS: smtps:// is
// implicit TLS; smtp:// + starttls required = CURLUSESSL_ALL (fails with no STARTTLS), optional
// = CURLUSESSL_TRY, off = none. AUTH when a username is set (password = the provider secret).
// Timeouts: timeout_ms for the whole transfer and as the server response timeout (rounded up
// to seconds: curl's SMTP end-of-data wait is only bounded by that one).
//
// Plaintext providers without AUTH on a literal address (SmtpPipeline::usable) go through the
// pipelining client of smtp_pipeline.hpp instead (why: see there); the environment variable
// MC_SMTP_CURL=1 (in the server's environment) keeps them on libcurl, for comparisons.
#pragma once

#include "delivery/curl_engine.hpp"
#include "delivery/outcome.hpp"
#include "delivery/provider_config.hpp"
#include "delivery/smtp_pipeline.hpp"

#include <memory>

#include <cstdint>
#include <string>
#include <vector>

namespace mc::delivery {

struct SmtpJob {
  std::uint64_t id = 0;    // the caller's key (event id), echoed in the result
  std::string mail_from;   // envelope sender (MAIL FROM), e.g. a VERP bounce address
  std::string rcpt_to;     // the one recipient (RCPT TO)
  std::string message;     // the message bytes (build_message, then DKIM)
  std::string message_id;  // echoed in the result, for the delivery log
};

struct SmtpResult {
  std::uint64_t id = 0;
  Outcome outcome;
  std::string reply;       // the server's deciding reply, `250 2.0.0 Ok: queued as X` or
                           // `550 5.1.1 ...`; empty when none came (connect failure, timeout)
  int reply_code = 0;      // CURLINFO_RESPONSE_CODE
  int curl_code = 0;       // CURLcode
  std::string curl_error;  // curl's error buffer
  std::string message_id;
  bool new_connection = false;  // this message opened a connection (false: reused one)
};

class SmtpSender {
 public:
  SmtpSender(SmtpOptions options, std::string password = {});
  void add(SmtpJob job);
  std::size_t poll(int timeout_ms) {
    return pipe_ ? pipe_->poll(timeout_ms) : engine_.poll(timeout_ms);
  }
  std::vector<SmtpResult> take_completed();
  bool idle() const { return pipe_ ? pipe_->idle() : engine_.idle(); }
  std::size_t queued() const { return pipe_ ? pipe_->queued() : engine_.queued(); }
  std::size_t in_flight() const { return pipe_ ? pipe_->in_flight() : engine_.in_flight(); }
  const EngineStats& stats() const { return pipe_ ? pipe_->stats() : engine_.stats(); }
  bool pipelined() const { return pipe_ != nullptr; }
  // External wait (see curl_engine.hpp): for a caller that waits on its own event set.
  std::vector<WaitSocket> wait_sockets() const {
    return pipe_ ? pipe_->wait_sockets() : engine_.wait_sockets();
  }
  long wait_timeout_ms() { return pipe_ ? pipe_->wait_timeout_ms() : engine_.wait_timeout_ms(); }
  void process(const std::vector<ReadySocket>& ready) {
    if (pipe_)
      pipe_->process(ready);
    else
      engine_.process(ready);
  }

 private:
  SmtpOptions options_;
  std::string password_;
  std::string url_;  // smtp(s)://host:port/helo
  CurlEngine engine_;
  std::unique_ptr<SmtpPipeline> pipe_;  // set: the pipelining client serves this provider
};

}  // namespace mc::delivery
