#include "core/template_routing.hpp"

namespace mc::core {
namespace {

char fold(char c) {
  if (c >= 'A' && c <= 'Z') return static_cast<char>(c - 'A' + 'a');
  return c == '_' ? '-' : c;
}

bool same_tag(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (fold(a[i]) != fold(b[i])) return false;
  return true;
}

std::string_view primary_subtag(std::string_view tag) {
  return tag.substr(0, tag.find_first_of("-_"));
}

// 3: exact language, 2: primary language, 1: language-neutral, 0: no match.
int language_rank(const std::optional<std::string_view>& wanted,
                  const std::optional<std::string_view>& offered) {
  if (!offered) return 1;
  if (!wanted) return 0;
  if (same_tag(*wanted, *offered)) return 3;
  if (same_tag(primary_subtag(*wanted), *offered)) return 2;
  return 0;
}

}  // namespace

Route route_event(const std::vector<PublishedCandidate>& candidates, std::string_view event_type,
                  int channel, std::optional<std::string_view> language) {
  const PublishedCandidate* best = nullptr;
  int best_rank = 0;
  for (const auto& c : candidates) {
    if (c.channel != channel || c.event_type != event_type) continue;
    int rank = language_rank(language, c.language);
    if (rank == 0) continue;
    if (rank > best_rank || (rank == best_rank && c.published_at > best->published_at)) {
      best = &c;
      best_rank = rank;
    }
  }
  if (!best) return Route{RouteOutcome::NoTemplate, nullptr};
  return Route{best->paused ? RouteOutcome::Paused : RouteOutcome::Routed, best};
}

}  // namespace mc::core
