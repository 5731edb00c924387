// Reads a bounce as received (what mc.report_bounce gets) and says which message it is about
// and what happened:
//  - RFC 3464 DSNs: multipart/report; report-type=delivery-status. From message/delivery-status:
//    per recipient Final-Recipient, Original-Recipient, Action, Status, Diagnostic-Code,
//    Remote-MTA. From the returned message (message/rfc822) or its headers
//    (text/rfc822-headers): Message-ID and X-MC-Event-Id.
//  - Anything else (qmail, old Exchange, hand-written): heuristics over the text: SMTP replies
//    (`550 5.1.1 ...`), enhanced codes (`#5.1.1`), phrases (`User unknown`, `mailbox full`),
//    the address they are about, and Message-ID lines of the quoted original.
// Each recipient is classified by bounce_classifier (the Action decides the disposition:
// failed / delayed / delivered; the codes and text decide the quarantine).
// Never throws on malformed input; an out-of-office reply (Auto-Submitted: auto-replied, no
// failure found) yields no recipients.
#pragma once

#include "delivery/outcome.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace mc::delivery {

struct BounceRecipient {
  std::string final_recipient;     // address only (`rfc822;` removed)
  std::string original_recipient;  // idem, when given
  std::string action;              // failed, delayed, delivered, relayed, expanded (lowercase)
  std::string status;              // enhanced code, `5.1.1`
  std::string diagnostic;          // `550 5.1.1 <text>` (the `smtp;` type removed)
  std::string remote_mta;
  Outcome outcome;
};

struct BounceReport {
  bool is_dsn = false;                   // a multipart/report delivery-status was found
  bool auto_reply = false;               // an automatic reply that is no bounce (ignored)
  std::vector<std::string> message_ids;  // of the original message, `<id@domain>`
  std::string event_id;                  // X-MC-Event-Id of the original, when returned
  std::string reporting_mta;
  std::vector<BounceRecipient> recipients;
};

BounceReport parse_bounce(std::string_view raw);

}  // namespace mc::delivery
