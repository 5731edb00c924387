// Turns an intake refusal (core/refusal.hpp) into the PostgreSQL error the caller sees: which
// SQLSTATE each kind of refusal gets is intake's contract with its callers, so it lives here.
#pragma once

#include <string>

#include "core/refusal.hpp"
#include "pg/guard.hpp"

namespace mc::intake {

int sqlstate_of(core::RefusalKind kind);

// where: "event", "event at index 3", "event row".
pg::SqlError refusal_error(const core::Refusal& refusal, const std::string& where);

}  // namespace mc::intake
