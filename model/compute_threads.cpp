#include "model/compute_threads.h"

#include <dlfcn.h>
#include <torch/torch.h>

namespace chosei {

void set_compute_threads(int threads) {
  torch::set_num_threads(threads);
  using SetThreads = void (*)(int);
  if (auto fn = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
    fn(threads);
}

}  // namespace chosei
