// An SMTP reply as the server sent it (RFC 5321 4.2): a three-digit code, an optional enhanced
// status code (RFC 3463 class.subject.detail, RFC 2034 puts it first in the text) and the text.
// Multi-line replies (`250-...` / `250 ...`) are joined with a space.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mc::delivery {

struct EnhancedStatus {
  int cls = 0;  // 2, 4 or 5
  int subject = 0;
  int detail = 0;
  std::string str() const;  // "5.1.1"
  bool operator==(const EnhancedStatus& o) const {
    return cls == o.cls && subject == o.subject && detail == o.detail;
  }
};

struct SmtpReply {
  int code = 0;  // 0: no reply (connection failure before any)
  std::optional<EnhancedStatus> enhanced;
  std::string text;  // without code and enhanced code
  // `550 5.1.1 <text>`, the failure_reason format of the spec.
  std::string str() const;
};

// Parses "X.Y.Z" (class 2, 4 or 5; subject and detail 0-999) at the start of `s`; sets `used`.
std::optional<EnhancedStatus> parse_enhanced_status(std::string_view s,
                                                    std::size_t* used = nullptr);

// Parses the lines of one reply (CRLF or LF separated, continuation lines `NNN-`); nullopt when
// the first line does not start with a three-digit code.
std::optional<SmtpReply> parse_smtp_reply(std::string_view lines);

// Accumulates reply lines as curl hands them over (its header callback sees every server line
// of an SMTP session) and keeps the last complete reply: after the transfer, the reply that
// decided it. A 221 (the reply to QUIT, when curl closes the connection) is ignored.
class SmtpReplyTracker {
 public:
  void feed(std::string_view line);
  // The last complete reply other than 221; nullopt when none.
  const std::optional<SmtpReply>& last() const { return last_; }
  void reset();

 private:
  std::string partial_;
  std::optional<SmtpReply> last_;
};

}  // namespace mc::delivery
