// Turns an intake refusal into the PostgreSQL error the caller sees.
#pragma once

#include <string>

#include "core/refusal.hpp"
#include "pg/guard.hpp"

namespace mc::pg {

int sqlstate_of(core::RefusalKind kind);

// where: "event", "event at index 3", "event row".
SqlError refusal_error(const core::Refusal& refusal, const std::string& where);

}  // namespace mc::pg
