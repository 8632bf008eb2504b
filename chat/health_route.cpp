#include "chat/health_route.h"

#include <nlohmann/json.hpp>

namespace chosei {

void report_health(bool draining, HttpResponse& res) {
  res.body = nlohmann::json{{"status", draining ? "draining" : "ok"}}.dump();
}

void report_metrics(const ModelRegistry& models, const ServerMetrics& metrics,
                    const FilterEngine* filters, HttpResponse& res) {
  std::map<std::string, double> gauges;
  if (filters) {  // the time classifier rules add to requests and streams
    const auto t = filters->classifier_timing();
    gauges["chosei_filter_classifier_calls_total"] = double(t.calls);
    gauges["chosei_filter_classifier_seconds_total"] = t.seconds;
  }
  for (const auto& sm : models.all()) {
    const auto st = sm->loop->stats();
    const std::string label = "{model=\"" + sm->name + "\"}";
    gauges["chosei_queue_depth" + label] = double(st.queued);
    gauges["chosei_active_requests" + label] = double(st.active);
    gauges["chosei_decode_steps_total" + label] = double(st.steps);
    gauges["chosei_batched_rows_total" + label] = double(st.batched_rows);
  }
  res.content_type = "text/plain; version=0.0.4";
  res.body = metrics.render(gauges);
}

}  // namespace chosei
