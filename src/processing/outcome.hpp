// What processing decided for one event, and what it writes for it.
#pragma once

#include <string>

#include "pg/postgres.hpp"

namespace mc::processing {

enum class Outcome {
  Routed,       // delivery-log row 'pending'; event pending_delivery
  Quarantined,  // delivery-log row 'ignored' (address in mc.quarantine); event pending_delivery
  NotTaken,     // no template: not_taken_into_account, reason in last_error
  Retry,        // failed this time: error_count + 1, retried at process_requested_at
  Expired,      // too many attempts, or past expires_at
  Wait,         // its template is paused: looked at again later, no error counted
};

struct RenderedMessage {
  std::string address, sender, subject, body_html, body_text, push_data, webhook_url;
};

struct EventOutcome {
  Outcome outcome = Outcome::NotTaken;
  int template_index = -1;      // into the published-template set, when routed
  bool attempt_failed = false;  // this attempt counts against max_processing_attempts
  std::string reason;           // last_error for NotTaken / Retry / Expired
  RenderedMessage message;
};

}  // namespace mc::processing
