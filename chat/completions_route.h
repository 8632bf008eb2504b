#pragma once
// POST /v1/completions (OpenAI's legacy completions): each prompt continued as raw text,
// without a chat template, so base models are served too. `n` choices per prompt (index =
// prompt * n + choice), `echo`, log-probabilities in the legacy shape, streaming, usage.
// The input filters screen the prompt and the output filter the generated text, as for chat.

#include <atomic>

#include "chat/api_caller.h"
#include "chat/generation_params.h"
#include "chat/http_transport.h"
#include "chat/model_registry.h"
#include "chat/server_metrics.h"
#include "filters/filter_engine.h"

namespace chosei {

struct CompletionRequest;
struct GenerationChannel;

class CompletionsRoute {
 public:
  CompletionsRoute(ModelRegistry& models, const FilterEngine* filters, ServerMetrics& metrics,
                   std::int64_t max_tokens, std::atomic<int>& open_streams,
                   RequestLimits limits = {});
  void handle(const ApiCaller& caller, const HttpRequest& req, HttpResponse& res);

 private:
  struct Prompt;
  void respond_json(std::shared_ptr<const ServedModel> sm, const CompletionRequest& r,
                    const std::vector<Prompt>& prompts, std::shared_ptr<GenerationChannel> ch,
                    HttpResponse& res, double started);
  void respond_stream(std::shared_ptr<const ServedModel> sm, const CompletionRequest& r,
                      const std::vector<Prompt>& prompts, std::shared_ptr<GenerationChannel> ch,
                      HttpResponse& res, double started);

  ModelRegistry& models_;
  const FilterEngine* filters_;
  ServerMetrics& metrics_;
  std::int64_t max_tokens_;
  std::atomic<int>& open_streams_;
  RequestLimits limits_;
};

}  // namespace chosei
