// The SQL functions through which the SQL API asks the delivery core: mc._check_provider
// (parse_provider_config: every refusal 22023 naming the field) and mc._parse_bounce
// (parse_bounce, as jsonb for mc.report_bounce).
// nlohmann/json first: PostgreSQL's c.h defines snprintf as a macro its headers must not see.
#include <nlohmann/json.hpp>

#include "delivery/bounce_parser.hpp"
#include "delivery/delivery_error.hpp"
#include "delivery/provider_config.hpp"
#include "pg/guard.hpp"
#include "pg/postgres.hpp"

#include <optional>
#include <string>

extern "C" {
#include "utils/builtins.h"
#include "utils/jsonb.h"
}

namespace {

// The argument as a C++ string (text or jsonb), nullopt for NULL.
std::optional<std::string> text_arg(FunctionCallInfo fcinfo, int n) {
  if (PG_ARGISNULL(n)) return std::nullopt;
  char* s = mc::pg::call([&] { return text_to_cstring(PG_GETARG_TEXT_PP(n)); });
  std::string out(s);
  pfree(s);  // cannot fail
  return out;
}

std::optional<std::string> jsonb_arg(FunctionCallInfo fcinfo, int n) {
  if (PG_ARGISNULL(n)) return std::nullopt;
  char* s = mc::pg::call([&] {
    Jsonb* j = PG_GETARG_JSONB_P(n);
    return JsonbToCString(nullptr, &j->root, VARSIZE(j));
  });
  std::string out(s);
  pfree(s);  // cannot fail
  return out;
}

const char* quarantine_name(mc::delivery::QuarantineStrength s) {
  switch (s) {
    case mc::delivery::QuarantineStrength::Hard:
      return "hard";
    case mc::delivery::QuarantineStrength::Soft:
      return "soft";
    default:
      return "none";
  }
}

}  // namespace

MC_FUNCTION(mc_check_provider) {
  auto name = text_arg(fcinfo, 0), channel = text_arg(fcinfo, 1), kind = text_arg(fcinfo, 2),
       url = text_arg(fcinfo, 3), options = jsonb_arg(fcinfo, 4);
  if (!name) throw mc::pg::SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "name: must not be NULL");
  if (!channel)
    throw mc::pg::SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "channel: must not be NULL");
  if (!kind) throw mc::pg::SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "kind: must not be NULL");
  try {
    mc::delivery::parse_provider_config(
        *name, *channel, *kind, url && !url->empty() ? url : std::nullopt, options.value_or("{}"));
  } catch (const mc::delivery::DeliveryError& e) {
    throw mc::pg::SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
                           "provider \"" + *name + "\": " + e.what());
  }
  PG_RETURN_VOID();
}

MC_FUNCTION(mc_parse_bounce) {
  auto raw = text_arg(fcinfo, 0);
  mc::delivery::BounceReport report = mc::delivery::parse_bounce(raw.value_or(""));
  nlohmann::json j = {{"is_dsn", report.is_dsn},
                      {"auto_reply", report.auto_reply},
                      {"message_ids", report.message_ids},
                      {"reporting_mta", report.reporting_mta},
                      {"recipients", nlohmann::json::array()}};
  if (!report.event_id.empty()) j["event_id"] = report.event_id;
  for (const auto& r : report.recipients) {
    j["recipients"].push_back(
        {{"address", r.final_recipient.empty() ? r.original_recipient : r.final_recipient},
         {"action", r.action},
         {"status", r.status},
         {"diagnostic", r.diagnostic},
         {"remote_mta", r.remote_mta},
         {"disposition", mc::delivery::disposition_name(r.outcome.disposition)},
         {"failure_reason", r.outcome.failure_reason},
         {"quarantine_reason", r.outcome.quarantine_reason},
         {"quarantine", quarantine_name(r.outcome.quarantine)}});
  }
  std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  Datum d =
      mc::pg::call([&] { return DirectFunctionCall1(jsonb_in, CStringGetDatum(text.c_str())); });
  return d;
}
