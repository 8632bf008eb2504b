#pragma once
// GET /health (ok, or draining while the server shuts down) and GET /metrics (Prometheus
// text: the server's counters plus each model's queue, active rows and batching).

#include "chat/http_transport.h"
#include "chat/model_registry.h"
#include "chat/server_metrics.h"
#include "filters/filter_engine.h"

namespace chosei {

void report_health(bool draining, HttpResponse& res);
// Prometheus text: request, token, latency and filter counters, per-model queue gauges, and
// the calls and seconds spent in classifier filter rules.
void report_metrics(const ModelRegistry& models, const ServerMetrics& metrics,
                    const FilterEngine* filters, HttpResponse& res);

}  // namespace chosei
