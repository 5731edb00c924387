#include "core/processing_decision.hpp"

#include "core/retry_policy.hpp"

namespace mc::core {
namespace {

const char* address_field(Channel channel) {
  switch (channel) {
    case Channel::Email:
      return "email";
    case Channel::Sms:
      return "mobilePhone";
    default:
      return "externalId";
  }
}

// Leaves the queue with a reason and no delivery.
Decision closed(Outcome outcome, EventStatus status, int error_count, std::string reason,
                std::int64_t now) {
  Decision d;
  d.outcome = outcome;
  d.status = status;
  d.error_count = error_count;
  d.last_error = std::move(reason);
  d.processed_at = now;
  return d;
}

}  // namespace

std::string_view event_status_label(EventStatus status) {
  switch (status) {
    case EventStatus::Pending:
      return "pending";
    case EventStatus::PendingDelivery:
      return "pending_delivery";
    case EventStatus::NotTakenIntoAccount:
      return "not_taken_into_account";
    case EventStatus::Expired:
      return "expired";
  }
  return "pending";
}

std::string_view log_status_label(LogStatus status) {
  switch (status) {
    case LogStatus::Pending:
      return "pending";
    case LogStatus::Ignored:
      return "ignored";
    case LogStatus::None:
      break;
  }
  return "";
}

std::optional<std::string_view> delivery_address(const ClaimedFacts& event,
                                                 std::string_view webhook_url) {
  switch (event.channel) {
    case Channel::Email:
      return event.email;
    case Channel::Sms:
      return event.mobile_phone;
    case Channel::PushIos:
    case Channel::PushAndroid:
      return event.external_id;
    case Channel::Webhook:
      return webhook_url;
  }
  return std::nullopt;
}

Decision failed_attempt(int error_count, std::string reason, std::int64_t now,
                        const ProcessingSettings& settings) {
  // This attempt counts against max_processing_attempts.
  int failures = error_count + 1;
  if (failures >= settings.max_attempts)
    return closed(Outcome::Expired, EventStatus::Expired, failures,
                  "gave up after " + std::to_string(failures) + " attempts: " + reason, now);
  Decision d;
  d.outcome = Outcome::Retry;
  d.status = EventStatus::Pending;
  d.error_count = failures;
  d.last_error = std::move(reason);
  d.retry_at = now + retry_delay_micros(settings.retry_backoff_micros, failures);
  return d;
}

Decision decide(const ClaimedFacts& event, const Route& route, const RenderResult& render,
                std::int64_t now, const ProcessingSettings& settings) {
  if (event.expires_at && *event.expires_at <= now)
    return closed(Outcome::Expired, EventStatus::Expired, event.error_count,
                  "expired before it could be processed", now);
  if (route.outcome == RouteOutcome::NoTemplate)
    return closed(
        Outcome::NotTaken, EventStatus::NotTakenIntoAccount, event.error_count,
        "no published template for event type \"" + std::string(event.type) + "\" and channel " +
            std::string(channel_name(event.channel)) +
            (event.language ? " (language " + std::string(*event.language) + ")" : std::string()),
        now);
  if (route.outcome == RouteOutcome::Paused) {
    Decision d;
    d.outcome = Outcome::Wait;
    d.status = EventStatus::Pending;
    d.error_count = event.error_count;
    d.retry_at = now + kPausedRecheckMicros;
    return d;
  }
  auto address = delivery_address(event, render.webhook_url);
  if (!address)
    return closed(Outcome::NotTaken, EventStatus::NotTakenIntoAccount, event.error_count,
                  std::string("no ") + address_field(event.channel) + " for channel " +
                      std::string(channel_name(event.channel)),
                  now);
  Decision d;
  switch (render.state) {
    case RenderResult::State::NotRendered:
      d.outcome = Outcome::Render;
      d.status = EventStatus::Pending;
      d.error_count = event.error_count;
      d.address = std::string(*address);
      return d;
    case RenderResult::State::Failed:
      return failed_attempt(
          event.error_count,
          "template \"" + std::string(render.template_name) + "\": " + std::string(render.error),
          now, settings);
    case RenderResult::State::Rendered:
      break;
  }
  d.outcome = render.quarantined ? Outcome::Quarantined : Outcome::Routed;
  d.status = EventStatus::PendingDelivery;
  d.error_count = event.error_count;
  d.processed_at = now;
  d.address = std::string(*address);
  d.log_status = render.quarantined ? LogStatus::Ignored : LogStatus::Pending;
  if (render.quarantined) d.failure_reason = "quarantined";
  return d;
}

}  // namespace mc::core
