#pragma once
// POST /v1/chat/completions: parses the request, screens user messages with the input
// filters, queues one job per choice (`n`) on the model's GenerationLoop and answers with
// the whole completion or streams it as server-sent events, generated text passing the
// streaming output filter first. Log-probabilities and JSON output (response_format, by
// constrained decoding) ride along. A blocked input is answered without the model
// (finish_reason content_filter).

#include <atomic>
#include <memory>

#include "chat/api_caller.h"
#include "chat/generation_params.h"
#include "chat/http_transport.h"
#include "chat/model_registry.h"
#include "chat/server_metrics.h"
#include "filters/filter_engine.h"

namespace chosei {

struct ChatRequest;
struct GenerationChannel;

class ChatCompletionsRoute {
 public:
  // `filters` may be null (serving without filters). `open_streams` counts streams that
  // outlive their handler, so that draining waits for them.
  ChatCompletionsRoute(ModelRegistry& models, const FilterEngine* filters, ServerMetrics& metrics,
                       std::int64_t max_tokens, std::atomic<int>& open_streams,
                       RequestLimits limits = {});

  // A model the caller may not use answers as one that does not exist.
  void handle(const ApiCaller& caller, const HttpRequest& req, HttpResponse& res);

 private:
  // Redacts user messages in place; true when one is blocked.
  bool screen_input(ChatRequest& r);
  void add_output_filters(const ChatRequest& r, GenerationChannel& ch) const;
  void respond_json(std::shared_ptr<const ServedModel> sm, const ChatRequest& r,
                    std::shared_ptr<GenerationChannel> ch, HttpResponse& res, double started);
  void respond_stream(std::shared_ptr<const ServedModel> sm, const ChatRequest& r,
                      std::shared_ptr<GenerationChannel> ch, HttpResponse& res, double started);

  ModelRegistry& models_;
  const FilterEngine* filters_;
  ServerMetrics& metrics_;
  std::int64_t max_tokens_;
  std::atomic<int>& open_streams_;
  RequestLimits limits_;
};

}  // namespace chosei
