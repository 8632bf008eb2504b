#pragma once
// GET /health (ok, or draining while the server shuts down) and GET /metrics (Prometheus
// text: the server's counters plus each model's queue, active rows and batching).

#include "chat/http_transport.h"
#include "chat/model_registry.h"
#include "chat/server_metrics.h"

namespace chosei {

void report_health(bool draining, HttpResponse& res);
void report_metrics(const ModelRegistry& models, const ServerMetrics& metrics, HttpResponse& res);

}  // namespace chosei
