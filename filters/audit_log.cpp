#include "filters/audit_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

namespace chosei {

AuditLog::AuditLog(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) throw std::runtime_error(path + ": cannot open audit log: " + std::strerror(errno));
}

AuditLog::~AuditLog() {
  if (fd_ >= 0) ::close(fd_);
}

std::string AuditLog::line(FilterDirection direction, const FilterResult& result,
                           const std::string& source, double unix_time) {
  std::set<std::string> rules, categories;
  for (const auto& m : result.matches) {
    rules.insert(m.rule);
    categories.insert(m.category);
  }
  nlohmann::ordered_json j;
  j["time"] = unix_time;
  j["direction"] = to_string(direction);
  j["decision"] = to_string(result.decision);
  j["rules"] = rules;
  j["categories"] = categories;
  j["matches"] = result.matches.size();
  if (!source.empty()) j["source"] = source;
  return j.dump();
}

void AuditLog::record(FilterDirection direction, const FilterResult& result,
                      const std::string& source) {
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string text = line(direction, result, source, now) + "\n";
  std::lock_guard<std::mutex> lock(mutex_);
  if (::write(fd_, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    throw std::runtime_error(path_ + ": audit log write failed: " + std::strerror(errno));
}

}  // namespace chosei
