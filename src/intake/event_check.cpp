// mc.event_is_valid: the CHECK constraint of both queue tables, so that INSERT and COPY
// refuse exactly what mc.push_event refuses, with the same SQLSTATEs. A CHECK (unlike a
// BEFORE ROW trigger) keeps COPY on its multi-insert path.
#include "core/event_validation.hpp"
#include "intake/event_record.hpp"
#include "intake/own_row_update.hpp"
#include "pg/guard.hpp"
#include "intake/refusal_error.hpp"
#include "settings/settings_cache.hpp"

extern "C" {
#include "utils/timestamp.h"
}

#include <cstring>

namespace {

using mc::intake::EventRecord;

// Argument positions of mc.event_is_valid, matching the SQL declaration.
constexpr int kTextArgs[] = {mc::intake::kType,        mc::intake::kEmail,
                             mc::intake::kMobilePhone, mc::intake::kExternalId,
                             mc::intake::kOrigin,      mc::intake::kIdempotencyKey,
                             mc::intake::kLanguage,    mc::intake::kCountry};
constexpr int kCtxArg = 8, kScheduledArg = 9, kExpiresArg = 10;

void read_args_unsafe(FunctionCallInfo fcinfo, EventRecord* r) {
  std::memset(r, 0, sizeof *r);
  for (int arg = 0; arg < 8; ++arg) {
    if (PG_ARGISNULL(arg)) continue;
    text* value = PG_GETARG_TEXT_PP(arg);
    r->text[kTextArgs[arg]] = {VARDATA_ANY(value), static_cast<int>(VARSIZE_ANY_EXHDR(value)),
                               true};
  }
  if (!PG_ARGISNULL(kCtxArg)) {
    Jsonb* ctx = PG_GETARG_JSONB_P(kCtxArg);
    r->has_ctx = true;
    r->ctx_is_object = JB_ROOT_IS_OBJECT(ctx) && !JB_ROOT_IS_SCALAR(ctx);
    r->ctx_bytes = VARSIZE(ctx) - VARHDRSZ;
  }
  if (!PG_ARGISNULL(kScheduledArg)) {
    r->has_scheduled_at = true;
    r->scheduled_at = PG_GETARG_TIMESTAMPTZ(kScheduledArg);
  }
  if (!PG_ARGISNULL(kExpiresArg)) {
    r->has_expires_at = true;
    r->expires_at = PG_GETARG_TIMESTAMPTZ(kExpiresArg);
  }
}

}  // namespace

MC_FUNCTION(mc_event_is_valid) {
  // The extension's own update of a stored row changes no validated column (own_row_update.hpp).
  if (mc::intake::own_row_update_in_progress()) return BoolGetDatum(true);
  EventRecord record;
  mc::pg::call([&] { read_args_unsafe(fcinfo, &record); });
  mc::core::IntakeLimits limits{mc::settings::current().max_ctx_bytes};
  auto refusal =
      mc::core::validate_event(mc::intake::fields_of(record), limits, mc::core::Naming::Column);
  if (refusal) throw mc::intake::refusal_error(*refusal, "event row");
  return BoolGetDatum(true);
}
