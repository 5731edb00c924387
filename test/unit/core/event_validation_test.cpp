#include "core/event_validation.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace mc::core;

namespace {
EventFields valid_event() {
  EventFields e;
  e.type = "order_confirmed";
  e.email = "ada@example.com";
  e.has_ctx = true;
  e.ctx_is_object = true;
  e.ctx_bytes = 100;
  return e;
}
Refusal refusal_of(const EventFields& e, Naming naming = Naming::Json, std::size_t max_ctx = 1000) {
  auto r = validate_event(e, IntakeLimits{max_ctx}, naming);
  EXPECT_TRUE(r.has_value());
  return r.value_or(Refusal{RefusalKind::InvalidValue, "<accepted>", ""});
}
}  // namespace

TEST(EventValidation, AcceptsAValidEvent) {
  EXPECT_FALSE(validate_event(valid_event(), IntakeLimits{}, Naming::Json).has_value());
}

TEST(EventValidation, RequiresTypeAndCtx) {
  EventFields e = valid_event();
  e.type.reset();
  Refusal r = refusal_of(e);
  EXPECT_EQ(r.kind, RefusalKind::MissingField);
  EXPECT_EQ(r.field, "type");
  EXPECT_EQ(refusal_of(e, Naming::Column).field, "event_type");

  e = valid_event();
  e.has_ctx = false;
  EXPECT_EQ(refusal_of(e).kind, RefusalKind::MissingField);
  EXPECT_EQ(refusal_of(e).field, "ctx");
}

TEST(EventValidation, CtxMustBeAnObjectWithinTheLimit) {
  EventFields e = valid_event();
  e.ctx_is_object = false;
  EXPECT_EQ(refusal_of(e).kind, RefusalKind::WrongJsonType);
  e = valid_event();
  e.ctx_bytes = 1001;
  Refusal r = refusal_of(e);
  EXPECT_EQ(r.kind, RefusalKind::TooLarge);
  EXPECT_NE(r.reason.find("1001"), std::string::npos);
  e.ctx_bytes = 1000;
  EXPECT_FALSE(validate_event(e, IntakeLimits{1000}, Naming::Json).has_value());
}

TEST(EventValidation, NamesTheFieldOfEachRefusal) {
  struct Case {
    void (*mutate)(EventFields&);
    RefusalKind kind;
    const char* json_field;
    const char* column;
  };
  const Case cases[] = {
      {[](EventFields& e) { e.type = ""; }, RefusalKind::InvalidValue, "type", "event_type"},
      {[](EventFields& e) { e.type = std::string_view("a\nb"); }, RefusalKind::InvalidSyntax,
       "type", "event_type"},
      {[](EventFields& e) {
         static const std::string long_type(65, 't');
         e.type = long_type;
       },
       RefusalKind::TooLong, "type", "event_type"},
      {[](EventFields& e) { e.email = "not-an-email"; }, RefusalKind::InvalidSyntax, "email",
       "email"},
      {[](EventFields& e) { e.mobile_phone = "12"; }, RefusalKind::InvalidSyntax, "mobilePhone",
       "mobile_phone"},
      {[](EventFields& e) { e.external_id = ""; }, RefusalKind::InvalidValue, "externalId",
       "external_id"},
      {[](EventFields& e) {
         static const std::string long_key(256, 'k');
         e.idempotency_key = long_key;
       },
       RefusalKind::TooLong, "idempotencyKey", "idempotency_key"},
      {[](EventFields& e) {
         static const std::string long_origin(256, 'o');
         e.origin = long_origin;
       },
       RefusalKind::TooLong, "origin", "origin"},
      {[](EventFields& e) { e.language = "french"; }, RefusalKind::InvalidSyntax, "language",
       "language"},
      {[](EventFields& e) { e.country = "SWE"; }, RefusalKind::InvalidSyntax, "country", "country"},
      {[](EventFields& e) {
         e.scheduled_at = 100;
         e.expires_at = 100;
       },
       RefusalKind::InvalidRange, "expiration", "expires_at"},
  };
  for (const Case& c : cases) {
    EventFields e = valid_event();
    c.mutate(e);
    Refusal json = refusal_of(e, Naming::Json);
    EXPECT_EQ(json.kind, c.kind) << c.json_field;
    EXPECT_EQ(json.field, c.json_field);
    EXPECT_EQ(refusal_of(e, Naming::Column).field, c.column);
  }
}

TEST(EventFields, MapsJsonKeys) {
  EXPECT_EQ(field_from_json_key("mobilePhone"), EventField::MobilePhone);
  EXPECT_EQ(field_from_json_key("expiration"), EventField::ExpiresAt);
  EXPECT_FALSE(field_from_json_key("mobile_phone").has_value());
  EXPECT_FALSE(field_from_json_key("Type").has_value());
  EXPECT_EQ(field_name(EventField::WishedChannel, Naming::Column), "wished_channel");
}
