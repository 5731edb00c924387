// A message as a sender worker's claim hands it over (one row of mc._sender_claim): what the
// dispatcher needs to build its SMTP or HTTP job and to decide on retries.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace mc::sender {

struct ClaimedMessage {
  std::uint64_t event_id = 0;
  std::string channel, queue, address, sender, subject, body_html, body_text, push_data,
      webhook_url, unsubscribe_url;
  // The event's own fields: read only for providers that use them (else empty).
  std::string external_id, type, language, country;
  int attempts = 1, max_attempts = 10;      // this attempt's number, and the most there may be
  std::optional<std::int64_t> valid_until;  // unix seconds; unknown: decided when recorded
};

}  // namespace mc::sender
