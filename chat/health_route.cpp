#include "chat/health_route.h"

#include <nlohmann/json.hpp>

namespace chosei {

void report_health(bool draining, HttpResponse& res) {
  res.body = nlohmann::json{{"status", draining ? "draining" : "ok"}}.dump();
}

void report_metrics(const ModelRegistry& models, const ServerMetrics& metrics,
                    const FilterEngine* filters, const ConnectionStats& connections,
                    HttpResponse& res) {
  std::map<std::string, double> gauges;
  gauges["chosei_http_connections_open"] = double(connections.open);
  gauges["chosei_http_connections{state=\"idle\"}"] = double(connections.idle);
  gauges["chosei_http_connections{state=\"reading\"}"] = double(connections.reading);
  gauges["chosei_http_connections{state=\"answering\"}"] = double(connections.handling);
  gauges["chosei_http_connections_accepted_total"] = double(connections.accepted);
  gauges["chosei_http_connections_refused_total"] = double(connections.refused);
  gauges["chosei_http_connections_timed_out_total"] = double(connections.timed_out);
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
