// Classifies an SMTP reply (live, from the sender engine, or from a bounce's Status and
// Diagnostic-Code) into an Outcome. The reply code decides retry or not (spec section 8: 2xx
// sent, 4xx deferred, 5xx failed); the enhanced status code (RFC 3463), else the text, decides
// what the failure says about the address:
//   5.1.1, 5.1.0, 5.1.3, 5.1.6, 5.2.1, 5.7.13/17 ....... quarantine 'user_unknown' (hard)
//   5.1.2, 5.1.10, 5.4.4, 5.7.18, reply 521/556 ......... quarantine 'invalid_domain' (hard)
//   4.2.2, 5.2.2 (mailbox full) ........................ 'mailbox_full' (soft: see below)
//   other 5.7.x (policy, spam, DMARC) .................. failed, reason 'rejected', no quarantine
//                                                        (our setup is at fault, not the address)
//   other 5.x.x / bare 5xx ............................. failed, no quarantine (text rules apply)
// Mailbox full is a "persistent transient failure": the message fails (5.2.2) or is retried
// (4.2.2) but the address is quarantined only after `soft_quarantine_due` says so.
#pragma once

#include "delivery/outcome.hpp"
#include "delivery/smtp_reply.hpp"

#include <cstdint>
#include <string_view>

namespace mc::delivery {

Outcome classify_smtp_reply(const SmtpReply& reply);

// Quarantine reason suggested by the enhanced code alone, or by text when there is none
// (`User unknown`, `mailbox full`, ...); empty when nothing is said about the address.
// `strength` receives Hard or Soft.
std::string quarantine_reason_for(int code, const std::optional<EnhancedStatus>& enhanced,
                                  std::string_view text, QuarantineStrength* strength);

// The counter-based rule for soft reasons (mailbox full): quarantine once an address collected
// `threshold` soft failures, the first at least `min_span_s` seconds before the latest (a full
// mailbox for days, not one bad minute). The caller keeps the counter (mc.quarantine's
// error_count, updated_at).
struct SoftQuarantineRule {
  int threshold = 3;
  std::int64_t min_span_s = 24 * 3600;
};
bool soft_quarantine_due(const SoftQuarantineRule& rule, int soft_failures,
                         std::int64_t first_failure_unix, std::int64_t latest_failure_unix);

}  // namespace mc::delivery
