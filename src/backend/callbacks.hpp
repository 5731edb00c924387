// The one place a backend's callbacks are registered: one relcache callback and one transaction
// callback for the whole library, each dispatching to the caches that need it.
//
// Why one of each: PostgreSQL 15 gives a backend 10 relcache-callback slots for every loaded
// library together, and running out is FATAL; and a callback registered lazily (in the middle of
// a claim, say) is one more thing that can fail where C++ frames are live.
#pragma once

namespace mc::backend {

// Called once per backend, from _PG_init (a PostgreSQL C frame: no C++ object is alive, so an
// error there, a FATAL for a full callback table or an ERROR for out of memory, is safe).
void register_callbacks();

}  // namespace mc::backend
