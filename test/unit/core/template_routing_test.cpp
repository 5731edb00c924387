#include "core/template_routing.hpp"

#include <gtest/gtest.h>

using namespace mc::core;

namespace {
constexpr int kEmail = 0, kSms = 1;
std::vector<PublishedCandidate> catalogue() {
  return {
      {1, "order_confirmed", kEmail, std::nullopt, 100, false},
      {2, "order_confirmed", kEmail, "fr", 50, false},
      {3, "order_confirmed", kEmail, "pt", 60, false},
      {4, "order_confirmed", kEmail, "pt-BR", 40, false},
      {5, "order_confirmed", kSms, std::nullopt, 10, false},
      {6, "order_confirmed", kEmail, std::nullopt, 200, false},  // republished later
      {7, "password_reset", kEmail, "sv", 10, true},
  };
}
std::int64_t routed(const Route& r) {
  return r.outcome == RouteOutcome::Routed ? r.candidate->published_id : -1;
}
}  // namespace

TEST(TemplateRouting, MatchesTypeAndChannel) {
  auto c = catalogue();
  EXPECT_EQ(routed(route_event(c, "order_confirmed", kSms, std::nullopt)), 5);
  EXPECT_EQ(route_event(c, "order_shipped", kEmail, std::nullopt).outcome,
            RouteOutcome::NoTemplate);
  EXPECT_EQ(route_event(c, "password_reset", kSms, "sv").outcome, RouteOutcome::NoTemplate);
}

TEST(TemplateRouting, PrefersTheEventLanguageThenPrimaryThenNeutral) {
  auto c = catalogue();
  EXPECT_EQ(routed(route_event(c, "order_confirmed", kEmail, "fr")), 2);
  EXPECT_EQ(routed(route_event(c, "order_confirmed", kEmail, "FR")), 2);
  EXPECT_EQ(routed(route_event(c, "order_confirmed", kEmail, "pt_br")), 4);
  EXPECT_EQ(routed(route_event(c, "order_confirmed", kEmail, "pt-PT")), 3);
  EXPECT_EQ(routed(route_event(c, "order_confirmed", kEmail, "de")), 6);
  EXPECT_EQ(routed(route_event(c, "order_confirmed", kEmail, std::nullopt)), 6);
}

TEST(TemplateRouting, MostRecentPublicationWins) {
  auto c = catalogue();
  c.push_back({8, "order_confirmed", kEmail, "fr", 300, false});
  EXPECT_EQ(routed(route_event(c, "order_confirmed", kEmail, "fr")), 8);
}

TEST(TemplateRouting, ALanguageVariantNeverServesAnotherLanguage) {
  std::vector<PublishedCandidate> c = {{1, "t", kEmail, "fr", 1, false}};
  EXPECT_EQ(route_event(c, "t", kEmail, "sv").outcome, RouteOutcome::NoTemplate);
  EXPECT_EQ(route_event(c, "t", kEmail, std::nullopt).outcome, RouteOutcome::NoTemplate);
}

TEST(TemplateRouting, APausedChoiceMakesTheEventWait) {
  auto c = catalogue();
  Route r = route_event(c, "password_reset", kEmail, "sv");
  EXPECT_EQ(r.outcome, RouteOutcome::Paused);
  EXPECT_EQ(r.candidate->published_id, 7);
  // Paused does not fall back to a worse match: the author paused that template on purpose.
  c.push_back({9, "password_reset", kEmail, std::nullopt, 500, false});
  EXPECT_EQ(route_event(c, "password_reset", kEmail, "sv").outcome, RouteOutcome::Paused);
}
