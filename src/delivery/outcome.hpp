// What one delivery attempt came to, in the vocabulary of the spec (section 8) and of
// mc.report_delivery: sent, deferred (retry with back-off within the validity) or failed (with a
// failure_reason such as `550 5.1.1 <text>`), plus an optional quarantine of the address with a
// reason from the seeds' vocabulary (user_unknown, invalid_domain, mailbox_full, rejected).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace mc::delivery {

enum class Disposition : std::uint8_t { Sent, Deferred, Failed };

const char* disposition_name(Disposition d);

// Why the address (not only this message) is suspect. `Soft` ones (mailbox full) quarantine only
// after repeated failures: see bounce_classifier.hpp, `soft_quarantine_due`.
enum class QuarantineStrength : std::uint8_t { None, Soft, Hard };

struct Outcome {
  Disposition disposition = Disposition::Deferred;
  // Code and text as the server said it (`550 5.1.1 <x@example.test>: user unknown`), or the
  // transport error (`timeout: ...`). Empty when sent.
  std::string failure_reason;
  // Quarantine reason (`user_unknown`, `invalid_domain`, `mailbox_full`, `rejected`) when the
  // reply says something about the address or its domain; strength says whether to act now.
  std::string quarantine_reason;
  QuarantineStrength quarantine = QuarantineStrength::None;
  // Earliest retry the server asked for (HTTP Retry-After), in seconds from now.
  std::optional<std::int64_t> retry_after_s;
};

}  // namespace mc::delivery
