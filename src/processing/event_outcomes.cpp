#include "processing/event_outcomes.hpp"

#include <string>
#include <utility>

#include "pg/guard.hpp"
#include "processing/quarantine.hpp"
#include "template/template_error.hpp"

namespace mc::processing {
namespace {

std::optional<std::string_view> view(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  return std::string_view(*s);
}

core::ClaimedFacts facts_of(const ClaimedEvent& e) {
  core::ClaimedFacts f;
  f.type = e.type;
  f.channel = static_cast<core::Channel>(e.channel);
  f.language = view(e.language);
  f.email = view(e.email);
  f.mobile_phone = view(e.mobile_phone);
  f.external_id = view(e.external_id);
  f.error_count = e.error_count;
  if (e.has_expires_at) f.expires_at = e.expires_at;
  return f;
}

}  // namespace

std::vector<EventResult> decide_events(const std::vector<ClaimedEvent>& events,
                                       const TemplateSet& templates, TimestampTz now,
                                       const core::ProcessingSettings& settings) {
  std::vector<EventResult> results(events.size());
  std::vector<core::ClaimedFacts> facts(events.size());
  std::vector<core::Route> routes(events.size());
  std::vector<core::RenderResult> renders(events.size());
  std::vector<std::string> render_errors(events.size());
  // Rendered events, and their addresses for the quarantine.
  std::vector<size_t> rendered;
  std::vector<std::pair<core::Channel, std::string_view>> addresses;

  for (size_t i = 0; i < events.size(); ++i) {
    pg::check_for_interrupts();  // a batch of long renders stops at statement_timeout
    const ClaimedEvent& e = events[i];
    EventResult& r = results[i];
    facts[i] = facts_of(e);
    routes[i] = core::route_event(templates.candidates, e.type, e.channel, facts[i].language);
    if (routes[i].candidate)
      r.template_index = static_cast<int>(routes[i].candidate - templates.candidates.data());
    r.decision = core::decide(facts[i], routes[i], renders[i], now, settings);
    if (r.decision.outcome != core::Outcome::Render) continue;
    const PublishedTemplate& t = templates.templates[r.template_index];
    try {
      render_message(t, e, templates.unsubscribe_key, &r.message);
    } catch (const pg::PgError&) {
      throw;  // a PostgreSQL error is never swallowed: the batch aborts and is retried whole
    } catch (const tmpl::RenderInterrupted&) {
      throw;  // a cancel or statement_timeout stops the call, not this event
    } catch (const std::exception& error) {
      render_errors[i] = error.what();
      renders[i].state = core::RenderResult::State::Failed;
      renders[i].template_name = t.name;
      renders[i].error = render_errors[i];
      continue;
    }
    renders[i].state = core::RenderResult::State::Rendered;
    renders[i].webhook_url = r.message.webhook_url;
    rendered.push_back(i);
    addresses.emplace_back(facts[i].channel,
                           *core::delivery_address(facts[i], r.message.webhook_url));
  }

  std::vector<bool> in_quarantine = quarantined(addresses);
  for (size_t k = 0; k < rendered.size(); ++k) renders[rendered[k]].quarantined = in_quarantine[k];

  for (size_t i = 0; i < events.size(); ++i) {
    if (renders[i].state == core::RenderResult::State::NotRendered) continue;
    results[i].decision = core::decide(facts[i], routes[i], renders[i], now, settings);
    results[i].message.address = results[i].decision.address;
  }
  return results;
}

}  // namespace mc::processing
