#pragma once
// The audit trail of filter decisions: one JSON line per decision with the time, the
// direction, the rule ids and the decision. Never the matched text: the log must not become
// a second copy of the secrets it records.

#include <mutex>
#include <string>

#include "filters/filter_engine.h"

namespace chosei {

class AuditLog {
 public:
  // Appends to `path` (created if missing). Each line is written with one write(2) on an
  // O_APPEND descriptor, so concurrent writers never interleave within a line.
  explicit AuditLog(const std::string& path);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  void record(FilterDirection direction, const FilterResult& result,
              const std::string& source = "");

  // The line `record` writes (without the newline).
  static std::string line(FilterDirection direction, const FilterResult& result,
                          const std::string& source, double unix_time);

 private:
  std::string path_;
  int fd_ = -1;
  std::mutex mutex_;
};

}  // namespace chosei
