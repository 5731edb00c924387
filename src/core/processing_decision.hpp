// What processing does with one claimed event: the status it moves to, what it records, and
// whether a delivery-log row is written. PostgreSQL-free, so every transition is unit-tested
// (test/unit/core/processing_decision_test.cpp); src/processing gathers the inputs (claim,
// routing, rendering, quarantine) and writes the decisions, a batch at a time.
//
// Called twice per routable event: first with RenderResult::State::NotRendered, which answers
// Outcome::Render when the event must be rendered (rendering is the expensive part, done only
// then); then with the render's result and whether its address is quarantined.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/channel.hpp"
#include "core/template_routing.hpp"

namespace mc::core {

// The statuses processing moves an event to (labels of mc.event_status).
enum class EventStatus { Pending, PendingDelivery, NotTakenIntoAccount, Expired };
std::string_view event_status_label(EventStatus status);

// The delivery-log row written for the event (labels of mc.delivery_status), if any.
enum class LogStatus { None, Pending, Ignored };
std::string_view log_status_label(LogStatus status);

enum class Outcome {
  Render,       // routed, has an address: render it, then decide again
  Routed,       // delivery-log row 'pending'; event pending_delivery
  Quarantined,  // delivery-log row 'ignored' (address in mc.quarantine); event pending_delivery
  NotTaken,     // no template, or no address for the channel: not_taken_into_account
  Retry,        // the render failed: error_count + 1, tried again after a back-off
  Expired,      // past expires_at, or the render failed max_processing_attempts times
  Wait,         // its template is paused: looked at again later, no error counted
};

// A claimed event, as plain data.
struct ClaimedFacts {
  std::string_view type;
  Channel channel = Channel::Email;
  std::optional<std::string_view> language, email, mobile_phone, external_id;
  int error_count = 0;
  std::optional<std::int64_t> expires_at;  // microseconds, same clock as `now`
};

struct ProcessingSettings {
  int max_attempts = 1;                   // mc.settings.max_processing_attempts
  std::int64_t retry_backoff_micros = 0;  // mc.settings.retry_backoff
};

struct RenderResult {
  enum class State { NotRendered, Rendered, Failed };
  State state = State::NotRendered;
  std::string_view template_name;  // Failed: named in last_error
  std::string_view error;          // Failed: what the engine reported
  std::string_view webhook_url;    // Rendered: the address of a webhook message
  bool quarantined = false;        // Rendered: its (channel, address) is in mc.quarantine
};

// A paused template's events are looked at again this much later.
constexpr std::int64_t kPausedRecheckMicros = 30LL * 1000000;

struct Decision {
  Outcome outcome = Outcome::NotTaken;
  EventStatus status = EventStatus::Pending;
  int error_count = 0;
  std::optional<std::string> last_error;
  std::optional<std::int64_t> retry_at;      // process_requested_at
  std::optional<std::int64_t> processed_at;  // set when the event leaves the queue
  std::string address;                       // Render, Routed, Quarantined
  LogStatus log_status = LogStatus::None;
  std::optional<std::string> failure_reason;  // of the delivery-log row
};

// The address `channel` sends to (a webhook's is its rendered URL); nullopt when the event has
// none.
std::optional<std::string_view> delivery_address(const ClaimedFacts& event,
                                                 std::string_view webhook_url);

Decision decide(const ClaimedFacts& event, const Route& route, const RenderResult& render,
                std::int64_t now, const ProcessingSettings& settings);

// An attempt that failed (a render, or the write of the event's row: `reason` says which): the
// event is tried again after a back-off, or expires once max_attempts attempts have failed.
Decision failed_attempt(int error_count, std::string reason, std::int64_t now,
                        const ProcessingSettings& settings);

}  // namespace mc::core
