#include "backend/batch_memory.hpp"

#include <malloc.h>

namespace mc::backend {

void keep_batch_memory() {
  static bool done = false;
  if (done) return;
  done = true;
#if defined(__GLIBC__)
  // 32 MB: glibc's own ceiling for the mmap threshold on 64-bit systems. Setting either value
  // turns off glibc's dynamic threshold, so both are set.
  constexpr int kKeep = 32 * 1024 * 1024;
  mallopt(M_MMAP_THRESHOLD, kKeep);
  mallopt(M_TRIM_THRESHOLD, kKeep);
#endif
}

}  // namespace mc::backend
