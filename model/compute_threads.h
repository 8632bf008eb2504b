#pragma once
// Applies a thread count (base/thread_count.h decides it) to LibTorch's intra-op pool and
// OpenBLAS's pool together (an idle OpenBLAS pool spinning beside LibTorch's cost 20% of
// decode time in sched_yield).

namespace chosei {

void set_compute_threads(int threads);

}  // namespace chosei
