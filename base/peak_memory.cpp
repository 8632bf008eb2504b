#include "base/peak_memory.h"

#include <sys/resource.h>

namespace chosei {

std::int64_t peak_resident_bytes() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<std::int64_t>(usage.ru_maxrss) * 1024;  // Linux reports kibibytes
}

}  // namespace chosei
