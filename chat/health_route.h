#pragma once
// GET /health (ok, or draining while the server shuts down) and GET /metrics (Prometheus
// text: the server's counters plus each model's queue, active rows and batching).

#include "chat/http_transport.h"
#include "chat/model_registry.h"
#include "chat/server_metrics.h"
#include "filters/filter_engine.h"

namespace chosei {

void report_health(bool draining, HttpResponse& res);
// Prometheus text: request, token, latency and filter counters, per-model queue gauges, the
// calls and seconds spent in classifier filter rules, and the connections: open by state
// (idle between requests, reading one that has not fully arrived, being answered) and the
// totals accepted, refused (503 over the limits) and closed for a timeout.
void report_metrics(const ModelRegistry& models, const ServerMetrics& metrics,
                    const FilterEngine* filters, const ConnectionStats& connections,
                    HttpResponse& res);

}  // namespace chosei
