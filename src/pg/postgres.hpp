// The one place C++ code includes PostgreSQL's C headers. Code under src/core and
// src/template must never include this file: it stays PG-free and unit-testable.
#pragma once

// CMake defines MC_PG_FREE for the PG-free targets (mc_core, mc_template and their tests), so an
// include from there stops here with this message rather than a missing postgres.h. The PGXS
// build compiles those sources too, without the define: there the firewall is review and the
// CMake build, which has no PostgreSQL include path for them.
#ifdef MC_PG_FREE
#error "src/pg/postgres.hpp included from PG-free code"
#endif

// PostgreSQL 15 leaves PGDLLEXPORT empty; the module is built with -fvisibility=hidden, so the
// symbols PostgreSQL looks up (magic block, _PG_init, SQL functions) are exported through it.
#define PGDLLEXPORT __attribute__((visibility("default")))

extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "utils/elog.h"
#include "utils/memutils.h"
#include "miscadmin.h"  // CHECK_FOR_INTERRUPTS, QueryCancelPending
}

// PostgreSQL's c.h defines these as macros; they clash with the C++ standard library.
#ifdef Max
#undef Max
#endif
#ifdef Min
#undef Min
#endif
#ifdef gettext
#undef gettext
#endif
#ifdef dgettext
#undef dgettext
#endif
#ifdef ngettext
#undef ngettext
#endif
#ifdef dngettext
#undef dngettext
#endif
