#include "chat/server_metrics.h"

#include <sstream>

namespace chosei {

void ServerMetrics::request(int status) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[status];
}

void ServerMetrics::tokens(std::int64_t prompt, std::int64_t completion) {
  std::lock_guard<std::mutex> lock(mutex_);
  prompt_tokens_ += prompt;
  completion_tokens_ += completion;
}

void ServerMetrics::latency(double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++latency_buckets_[i];
  ++latency_count_;
  latency_sum_ += seconds;
}

void ServerMetrics::filter_decision(const std::string& direction, const std::string& rule,
                                    const std::string& decision) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++filter_decisions_["direction=\"" + direction + "\",rule=\"" + rule + "\",decision=\"" +
                      decision + "\""];
}

std::string ServerMetrics::render(const std::map<std::string, double>& gauges) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::ostringstream o;
  o << "# HELP chosei_requests_total HTTP requests by status code.\n"
    << "# TYPE chosei_requests_total counter\n";
  for (const auto& [status, n] : requests_)
    o << "chosei_requests_total{status=\"" << status << "\"} " << n << "\n";
  o << "# HELP chosei_tokens_total Tokens in prompts and completions.\n"
    << "# TYPE chosei_tokens_total counter\n"
    << "chosei_tokens_total{kind=\"prompt\"} " << prompt_tokens_ << "\n"
    << "chosei_tokens_total{kind=\"completion\"} " << completion_tokens_ << "\n";
  o << "# HELP chosei_request_seconds Chat completion latency.\n"
    << "# TYPE chosei_request_seconds histogram\n";
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    o << "chosei_request_seconds_bucket{le=\"" << kBuckets[i] << "\"} " << latency_buckets_[i]
      << "\n";
  o << "chosei_request_seconds_bucket{le=\"+Inf\"} " << latency_count_ << "\n"
    << "chosei_request_seconds_sum " << latency_sum_ << "\n"
    << "chosei_request_seconds_count " << latency_count_ << "\n";
  o << "# HELP chosei_filter_decisions_total Filter matches by direction, rule and decision.\n"
    << "# TYPE chosei_filter_decisions_total counter\n";
  for (const auto& [labels, n] : filter_decisions_)
    o << "chosei_filter_decisions_total{" << labels << "} " << n << "\n";
  for (const auto& [line, value] : gauges) o << line << " " << value << "\n";
  return o.str();
}

}  // namespace chosei
