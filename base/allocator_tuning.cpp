#include "base/allocator_tuning.h"

#include <malloc.h>

namespace chosei {

void keep_freed_memory_for_reuse() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // the largest value glibc accepts on 64-bit
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 256 << 20);  // grow the heap in large steps: fewer brk calls and faults
}

void return_freed_memory() { malloc_trim(0); }

}  // namespace chosei
