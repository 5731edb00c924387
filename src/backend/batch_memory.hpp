// Keeping a batch's memory in the backend between batches.
//
// A batch allocates a few megabytes (claimed events, rendered messages, tuples, index keys) and
// frees them when it ends. glibc then gives the top of the heap back to the kernel (trim) and
// serves large blocks with mmap/munmap, so the next batch gets fresh pages and faults on each
// one as it first touches it: 8 % of a processing backend's time (perf, short templates,
// bench/README.md "Processing"). Raising the trim and mmap thresholds keeps those pages mapped
// for the next batch. It changes nothing else: the memory is still freed, for the backend's
// next allocations; what the backend no longer returns to the kernel is up to 32 MB of free
// memory at the top of its heap, and blocks under 32 MB are taken from the heap, not mmap.
#pragma once

namespace mc::backend {

// Once per backend, before its first batch; no effect after the first call.
void keep_batch_memory();

}  // namespace mc::backend
