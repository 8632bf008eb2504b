#pragma once
// Counters and histograms the server exposes at GET /metrics in Prometheus' text format.

#include <array>
#include <map>
#include <mutex>
#include <string>

namespace chosei {

class ServerMetrics {
 public:
  void request(int status);
  void tokens(std::int64_t prompt, std::int64_t completion);
  void latency(double seconds);
  void filter_decision(const std::string& direction, const std::string& rule,
                       const std::string& decision);
  // `gauges`: name -> value lines added as they are (queue depth, batch size per model).
  std::string render(const std::map<std::string, double>& gauges) const;

 private:
  static constexpr std::array<double, 10> kBuckets = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  mutable std::mutex mutex_;
  std::map<int, std::int64_t> requests_;
  std::int64_t prompt_tokens_ = 0, completion_tokens_ = 0;
  std::array<std::int64_t, kBuckets.size()> latency_buckets_{};
  std::int64_t latency_count_ = 0;
  double latency_sum_ = 0;
  std::map<std::string, std::int64_t> filter_decisions_;  // labels -> count
};

}  // namespace chosei
