#include "base/thread_count.h"

#include <algorithm>
#include <cstdlib>
#include <thread>

namespace chosei {

int resolve_thread_count(int requested) {
  if (requested > 0) return requested;
  const char* env = std::getenv("OMP_NUM_THREADS");
  if (env && std::atoi(env) > 0) return std::atoi(env);
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace chosei
