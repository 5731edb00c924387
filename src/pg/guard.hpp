// The boundary between PostgreSQL's error handling (longjmp) and C++'s (exceptions).
//
// The rule, for every file in src/:
//  1. Every SQL-callable function is declared with MC_FUNCTION; its body runs inside
//     mc::pg::enter(), which catches C++ exceptions and raises the PostgreSQL error only
//     after the catch block has ended, so no C++ object is alive when longjmp happens.
//  2. C++ code calls PostgreSQL functions that may ereport only through mc::pg::call(),
//     which catches the PostgreSQL error and rethrows it as mc::pg::PgError. The callable
//     given to call() must itself hold no object with a non-trivial destructor: a longjmp
//     out of it would skip the destructor. Functions written for that purpose carry the
//     suffix _unsafe.
//  3. A PgError must reach enter() (which rethrows it). Swallowing one would leave the
//     transaction in a state only a (sub)transaction abort cleans up.
//  4. Direct PostgreSQL calls outside call() carry a comment saying why they cannot error.
#pragma once

#include "pg/postgres.hpp"

#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <type_traits>
#include <utility>

namespace mc::pg {

// A PostgreSQL error caught by call(), carried through C++ frames to enter().
class PgError : public std::exception {
 public:
  explicit PgError(ErrorData* data) : data_(data) {}
  ErrorData* data() const { return data_; }
  const char* what() const noexcept override {
    return data_ && data_->message ? data_->message : "PostgreSQL error";
  }

 private:
  ErrorData* data_;  // palloc'd in the memory context current when call() was entered
};

// An error raised on purpose by C++ code, with the SQLSTATE the user will see.
class SqlError : public std::exception {
 public:
  SqlError(int sqlstate, std::string message, std::string detail = {}, std::string hint = {})
      : sqlstate_(sqlstate),
        message_(std::move(message)),
        detail_(std::move(detail)),
        hint_(std::move(hint)) {}
  int sqlstate() const { return sqlstate_; }
  const std::string& detail() const { return detail_; }
  const std::string& hint() const { return hint_; }
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  int sqlstate_;
  std::string message_, detail_, hint_;
};

// Runs fn, which may ereport, and turns a PostgreSQL error into PgError.
template <typename Fn>
auto call(Fn&& fn) -> decltype(fn()) {
  using Result = decltype(fn());
  static_assert(std::is_void_v<Result> || std::is_trivially_destructible_v<Result>,
                "pg::call returns only trivially destructible values");
  MemoryContext caller_context = CurrentMemoryContext;
  sigjmp_buf* saved_exception_stack = PG_exception_stack;
  ErrorContextCallback* saved_context_stack = error_context_stack;
  sigjmp_buf local;
  if (sigsetjmp(local, 0) == 0) {
    PG_exception_stack = &local;
    // A C++ exception thrown by fn must not leave PG_exception_stack pointing at this frame.
    auto restore = [&] {
      PG_exception_stack = saved_exception_stack;
      error_context_stack = saved_context_stack;
    };
    try {
      if constexpr (std::is_void_v<Result>) {
        fn();
        restore();
        return;
      } else {
        Result result = fn();
        restore();
        return result;
      }
    } catch (...) {
      restore();
      throw;
    }
  }
  PG_exception_stack = saved_exception_stack;
  error_context_stack = saved_context_stack;
  MemoryContextSwitchTo(caller_context);
  ErrorData* data = CopyErrorData();  // cannot fail short of OOM, which PG turns into FATAL here
  FlushErrorState();
  throw PgError(data);
}

namespace detail {
// Copies without allocating, so nothing inside a catch block can ereport. A text longer than the
// buffer is cut at the start of a UTF-8 character (the server encoding the extension supports),
// never inside one: a cut character would make the message invalid in the client's encoding.
inline void copy_text(char* dst, size_t cap, const char* src) {
  if (!src) src = "";
  size_t len = std::strlen(src);
  if (len > cap - 1) {
    len = cap - 1;
    while (len > 0 && (static_cast<unsigned char>(src[len]) & 0xC0) == 0x80) --len;
  }
  std::memcpy(dst, src, len);
  dst[len] = '\0';
}
}  // namespace detail

// Whether a cancel (statement_timeout, pg_cancel_backend) or a terminate is pending. PG-free code
// that runs long (the template engine) asks this between steps through a plain function pointer
// and stops by throwing; PostgreSQL then raises the interrupt's own error (enter() below).
inline bool interrupt_pending() { return QueryCancelPending || ProcDiePending; }

// CHECK_FOR_INTERRUPTS from C++: the error it raises (57014, 57P01) becomes a PgError.
inline void check_for_interrupts() {
  call([] { CHECK_FOR_INTERRUPTS(); });
}

// Runs the C++ body of an SQL-callable function; raises its exceptions as PostgreSQL errors.
template <typename Fn>
Datum enter(Fn&& fn) {
  ErrorData* pg_error = nullptr;
  int sqlstate = 0;
  char message[2048], detail[2048], hint[1024];
  message[0] = detail[0] = hint[0] = '\0';
  try {
    return fn();
  } catch (const PgError& e) {
    pg_error = e.data();
  } catch (const SqlError& e) {
    sqlstate = e.sqlstate();
    detail::copy_text(message, sizeof message, e.what());
    detail::copy_text(detail, sizeof detail, e.detail().c_str());
    detail::copy_text(hint, sizeof hint, e.hint().c_str());
  } catch (const std::bad_alloc&) {
    sqlstate = ERRCODE_OUT_OF_MEMORY;
    detail::copy_text(message, sizeof message, "out of memory in message_center");
  } catch (const std::exception& e) {
    sqlstate = ERRCODE_INTERNAL_ERROR;
    detail::copy_text(message, sizeof message, e.what());
  } catch (...) {
    sqlstate = ERRCODE_INTERNAL_ERROR;
    detail::copy_text(message, sizeof message, "unknown C++ exception in message_center");
  }
  // Outside the catch blocks: no exception object or C++ frame is left to unwind.
  if (pg_error) ReThrowError(pg_error);
  // A C++ body stopped because of a pending cancel or terminate (a render asked
  // interrupt_pending()): the user sees that interrupt's error (57014 for statement_timeout),
  // not ours.
  if (interrupt_pending()) {
    CHECK_FOR_INTERRUPTS();
    if (sqlstate == ERRCODE_INTERNAL_ERROR) sqlstate = ERRCODE_QUERY_CANCELED;
  }
  ereport(ERROR,
          (errcode(sqlstate), errmsg_internal("%s", message),
           detail[0] ? errdetail_internal("%s", detail) : 0, hint[0] ? errhint("%s", hint) : 0));
  pg_unreachable();
}

}  // namespace mc::pg

// Declares an SQL-callable function NAME whose C++ body follows, run through mc::pg::enter.
#define MC_FUNCTION(NAME)                                                     \
  static Datum NAME##_cpp(FunctionCallInfo fcinfo);                           \
  extern "C" {                                                                \
  PGDLLEXPORT Datum NAME(PG_FUNCTION_ARGS);                                   \
  PG_FUNCTION_INFO_V1(NAME);                                                  \
  Datum NAME(PG_FUNCTION_ARGS) {                                              \
    return mc::pg::enter([fcinfo]() -> Datum { return NAME##_cpp(fcinfo); }); \
  }                                                                           \
  }                                                                           \
  static Datum NAME##_cpp([[maybe_unused]] FunctionCallInfo fcinfo)
