#pragma once
// Process-wide glibc malloc settings for tensor workloads.

namespace chosei {

// Training and prefill free and reallocate the same multi-megabyte activation buffers every
// step. glibc serves those with mmap and returns them with munmap, so every step paid for
// fresh zeroed pages (a third of the CPU time was page faults on a 6M-parameter model).
// Keeping blocks up to 32 MB in the heap and not trimming it makes the buffers reused.
// Call once at startup, before large allocations.
void keep_freed_memory_for_reuse();
// Returns the heap's free pages to the system (after freeing for good, e.g. the fp32
// weights of a model kept as q8_0), which the settings above otherwise keep.
void return_freed_memory();

}  // namespace chosei
