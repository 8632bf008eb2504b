#pragma once
// How many compute threads a command uses, decided in one place: the --threads value when
// positive, else OMP_NUM_THREADS when set (test runners and schedulers use it to share
// cores), else every core. model/compute_threads.h applies the number to LibTorch and BLAS.

namespace chosei {

int resolve_thread_count(int requested);

}  // namespace chosei
