// Which published template an event gets (spec section 4): the published template of the
// event's queue whose event type and channel match, preferring the event's language, most
// recently published first. A template without a language is the fallback of every language.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace mc::core {

struct PublishedCandidate {
  std::int64_t published_id;
  std::string_view event_type;
  int channel;                               // mc::core::Channel
  std::optional<std::string_view> language;  // nullopt: the language-neutral variant
  std::int64_t published_at;                 // any monotonic clock: only compared
  bool paused;
};

enum class RouteOutcome {
  Routed,      // render with `candidate`
  Paused,      // the chosen template is paused: the event waits in pending
  NoTemplate,  // nothing matches: not_taken_into_account
};

struct Route {
  RouteOutcome outcome;
  const PublishedCandidate* candidate;  // set for Routed and Paused
};

// Language preference, best first: the exact tag (case-insensitive, '-' and '_' alike), then
// the event's primary language ("pt" for "pt-BR"), then the variant without a language.
// A candidate in another language never matches.
Route route_event(const std::vector<PublishedCandidate>& candidates, std::string_view event_type,
                  int channel, std::optional<std::string_view> language);

}  // namespace mc::core
