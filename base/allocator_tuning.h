#pragma once
// Process-wide glibc malloc settings for tensor workloads.

namespace chosei {

// Training and prefill free and reallocate the same multi-megabyte activation buffers every
// step. glibc serves those with mmap and returns them with munmap, so every step paid for
// fresh zeroed pages (a third of the CPU time was page faults on a 6M-parameter model).
// Keeping blocks up to 32 MB in the heap and not trimming it makes the buffers reused.
// Call once at startup, before large allocations.
void keep_freed_memory_for_reuse();

}  // namespace chosei
