#include "delivery/bounce_classifier.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace mc::delivery {

namespace {
bool contains_ci(std::string_view hay, std::string_view needle) {
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  });
  return it != hay.end();
}

// Text rules for replies without an enhanced code (and for plain non-DSN bounces). Order
// matters: the first match wins.
struct TextRule {
  const char* phrase;
  const char* reason;
  QuarantineStrength strength;
};
constexpr TextRule kTextRules[] = {
    {"user unknown", "user_unknown", QuarantineStrength::Hard},
    {"unknown user", "user_unknown", QuarantineStrength::Hard},
    {"no such user", "user_unknown", QuarantineStrength::Hard},
    {"mailbox unavailable", "user_unknown", QuarantineStrength::Hard},
    {"recipient address rejected", "user_unknown", QuarantineStrength::Hard},
    {"does not exist", "user_unknown", QuarantineStrength::Hard},
    {"invalid recipient", "user_unknown", QuarantineStrength::Hard},
    {"recipient not found", "user_unknown", QuarantineStrength::Hard},
    {"mailbox not found", "user_unknown", QuarantineStrength::Hard},
    {"host not found", "invalid_domain", QuarantineStrength::Hard},
    {"domain not found", "invalid_domain", QuarantineStrength::Hard},
    {"no mx", "invalid_domain", QuarantineStrength::Hard},
    {"name or service not known", "invalid_domain", QuarantineStrength::Hard},
    {"mailbox full", "mailbox_full", QuarantineStrength::Soft},
    {"mailbox is full", "mailbox_full", QuarantineStrength::Soft},
    {"quota exceeded", "mailbox_full", QuarantineStrength::Soft},
    {"over quota", "mailbox_full", QuarantineStrength::Soft},
    {"insufficient storage", "mailbox_full", QuarantineStrength::Soft},
};
}  // namespace

std::string quarantine_reason_for(int code, const std::optional<EnhancedStatus>& e,
                                  std::string_view text, QuarantineStrength* strength) {
  *strength = QuarantineStrength::None;
  auto hard = [&](const char* r) {
    *strength = QuarantineStrength::Hard;
    return std::string(r);
  };
  if (e) {
    if (e->subject == 2 && e->detail == 2 && (e->cls == 4 || e->cls == 5)) {
      *strength = QuarantineStrength::Soft;
      return "mailbox_full";
    }
    if (e->cls == 5) {
      if (e->subject == 1) {
        if (e->detail == 2 || e->detail == 10) return hard("invalid_domain");
        return hard("user_unknown");  // 5.1.0, 5.1.1, 5.1.3, 5.1.6 and the rest of 5.1.x
      }
      if (e->subject == 2 && e->detail == 1) return hard("user_unknown");    // mailbox disabled
      if (e->subject == 4 && e->detail == 4) return hard("invalid_domain");  // unable to route
      if (e->subject == 7) {
        if (e->detail == 13 || e->detail == 17) return hard("user_unknown");  // RFC 7293
        if (e->detail == 18) return hard("invalid_domain");
        return "rejected";  // policy, spam, DMARC: a reason, never a quarantine
      }
      return {};
    }
    if (e->cls == 4) return {};
  }
  if (code == 521 || code == 556) return hard("invalid_domain");  // RFC 7504
  if (code >= 400) {
    for (const auto& rule : kTextRules)
      if (contains_ci(text, rule.phrase)) {
        // A transient reply never proves an address bad; only mailbox-full counts softly.
        if (code < 500 && rule.strength == QuarantineStrength::Hard) return {};
        *strength = rule.strength;
        return rule.reason;
      }
    if (code >= 500 && (contains_ci(text, "spam") || contains_ci(text, "policy") ||
                        contains_ci(text, "blocked") || contains_ci(text, "blacklist")))
      return "rejected";
  }
  return {};
}

Outcome classify_smtp_reply(const SmtpReply& reply) {
  Outcome out;
  int cls = reply.code / 100;
  if (cls == 2) {
    out.disposition = Disposition::Sent;
    return out;
  }
  out.failure_reason = reply.code ? reply.str() : "no reply from the server";
  // RFC 5321 4.5.3.1.10: 552 on RCPT means too many recipients; treat it as 452.
  out.disposition = cls == 5 ? Disposition::Failed : Disposition::Deferred;
  if (reply.code == 552 && !(reply.enhanced && reply.enhanced->subject == 2)) {
    if (reply.enhanced && reply.enhanced->subject == 5 && reply.enhanced->detail == 3)
      out.disposition = Disposition::Deferred;
  }
  // A 5xx with a 4.x.x enhanced code (some servers) or the reverse: the reply code decides
  // retry (spec), the enhanced code decides the address.
  QuarantineStrength strength = QuarantineStrength::None;
  out.quarantine_reason = quarantine_reason_for(reply.code, reply.enhanced, reply.text, &strength);
  // A transient reply never quarantines hard.
  if (out.disposition == Disposition::Deferred && strength == QuarantineStrength::Hard) {
    strength = QuarantineStrength::None;
    out.quarantine_reason.clear();
  }
  out.quarantine = strength;
  return out;
}

bool soft_quarantine_due(const SoftQuarantineRule& rule, int soft_failures,
                         std::int64_t first_failure_unix, std::int64_t latest_failure_unix) {
  return soft_failures >= rule.threshold &&
         latest_failure_unix - first_failure_unix >= rule.min_span_s;
}

}  // namespace mc::delivery
