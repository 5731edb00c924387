// Runs C++ work in a subtransaction: on a PostgreSQL error (or a C++ exception) the
// subtransaction is rolled back, which is the one way to recover from a PostgreSQL error
// (guard.hpp rule 3), and the caller gets the error's text instead of the whole call failing.
// Processing uses it so that one event whose row cannot be written never holds back the others.
#pragma once

#include <optional>
#include <string>

#include "pg/guard.hpp"
#include "template/template_error.hpp"

extern "C" {
#include "access/xact.h"
#include "utils/elog.h"
#include "utils/resowner.h"
}

namespace mc::pg {

// The error of a failed subtransaction: SQLSTATE (five characters) and message.
struct SubtransactionError {
  std::string sqlstate;
  std::string message;
};

// Runs fn() in a subtransaction. nullopt: it committed (released into the caller's
// transaction). Otherwise it was rolled back, and this is why. An interrupt (a render stopped by
// a cancel) and out-of-memory are not one event's failure: they roll back and propagate.
template <typename Fn>
std::optional<SubtransactionError> try_in_subtransaction(Fn&& fn) {
  MemoryContext caller_context = CurrentMemoryContext;
  ResourceOwner caller_owner = CurrentResourceOwner;
  call([] { BeginInternalSubTransaction(nullptr); });
  // BeginInternalSubTransaction switches to the subtransaction's context; the caller's stays
  // current so that what fn allocates outlives a release.
  MemoryContextSwitchTo(caller_context);
  auto restore = [&] {
    MemoryContextSwitchTo(caller_context);
    CurrentResourceOwner = caller_owner;
  };
  auto roll_back = [&] {
    call([] { RollbackAndReleaseCurrentSubTransaction(); });
    restore();
  };
  std::optional<SubtransactionError> error;
  try {
    fn();
    call([] { ReleaseCurrentSubTransaction(); });
    restore();
    return std::nullopt;
  } catch (const PgError& e) {
    char code[6];
    std::memcpy(code, unpack_sql_state(e.data()->sqlerrcode), 6);
    error = SubtransactionError{code, e.what()};
  } catch (const SqlError& e) {
    char code[6];
    std::memcpy(code, unpack_sql_state(e.sqlstate()), 6);
    error = SubtransactionError{code, e.what()};
  } catch (const tmpl::RenderInterrupted&) {
    roll_back();
    throw;
  } catch (const std::bad_alloc&) {
    roll_back();
    throw;
  } catch (const std::exception& e) {
    error = SubtransactionError{"XX000", e.what()};
  }
  roll_back();
  return error;
}

}  // namespace mc::pg
