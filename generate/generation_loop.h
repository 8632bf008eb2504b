#pragma once
// GenerationLoop: the one thread that owns a model and decodes for every request. Requests
// wait on a bounded queue; each step the loop admits waiting requests into free rows of a
// BatchDecoder (continuous batching: a new request joins at the next step), feeds every
// active row one token, samples, streams text, and retires rows that finish or whose client
// went away.

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "generate/sampler.h"
#include "generate/token_constraint.h"
#include "model/llama_model.h"
#include "tokenizer/tokenizer.h"

namespace chosei {

struct GenerationSummary {
  std::string finish_reason;  // stop | length | cancelled | error
  std::int64_t prompt_tokens = 0, completion_tokens = 0;
  std::string error;
  // The completion's ids, the end-of-sequence token that stopped it included (what a
  // trainer scores: the policy learns to end as well as to speak).
  std::vector<TokenId> tokens;
};

struct GenerationJob {
  std::vector<TokenId> prompt;
  std::int64_t max_tokens = 256;
  SamplingOptions sampling;
  std::vector<std::string> stop;
  std::vector<TokenId> eos_ids;
  // When set, every token is one the constraint allows (constrained decoding).
  std::shared_ptr<TokenConstraint> constraint;
  // All callbacks run on the loop thread. on_logprob (sampling.top_logprobs >= 0) gets each
  // generated token's log-probabilities before its text.
  std::function<void(const TokenLogprob&)> on_logprob;
  // >= 0: the prompt is scored first: on_prompt_logprobs gets, for every prompt token after
  // the first, log_softmax of the raw logits before it (temperature 1, no penalties) at that
  // token, with this many alternatives. max_tokens 0 then only scores.
  int prompt_logprobs = -1;
  std::function<void(const std::vector<TokenLogprob>&)> on_prompt_logprobs;
  // on_text gets each newly final piece of text and returns
  // false when the client is gone (the job is cancelled).
  std::function<bool(const std::string&)> on_text;
  std::function<void(const GenerationSummary&)> on_done;
};

struct GenerationLoopStats {
  std::size_t queued = 0, active = 0;
  std::int64_t steps = 0, batched_rows = 0;  // batched_rows / steps: mean batch size
};

class GenerationLoop {
 public:
  GenerationLoop(LlamaForCausalLM model, std::shared_ptr<const Tokenizer> tokenizer,
                 std::int64_t max_batch, std::size_t max_queue, std::int64_t context);
  ~GenerationLoop();

  // false when the queue is full or the loop is shutting down.
  bool submit(std::shared_ptr<GenerationJob> job);
  // Stops taking jobs, finishes every queued and active one, joins the thread.
  void shutdown();
  GenerationLoopStats stats() const;
  std::int64_t context() const { return context_; }

 private:
  struct Row;
  void run();
  void admit(std::vector<Row>& rows, class BatchDecoder& batch);
  Row make_row(std::shared_ptr<GenerationJob> job) const;
  bool start(Row& row, const torch::Tensor& last, const torch::Tensor& all);
  bool accept(Row& row, TokenId next);  // false when the row is finished
  // Samples the row's next token from its logits, within its constraint; -1 when the
  // constraint leaves nothing to choose.
  TokenId pick(Row& row, const float* logits, std::int64_t vocab);

  LlamaForCausalLM model_;
  std::shared_ptr<const Tokenizer> tokenizer_;
  std::int64_t max_batch_, context_;
  std::size_t max_queue_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<GenerationJob>> queue_;
  bool stopping_ = false;
  GenerationLoopStats stats_;
  std::thread thread_;
};

}  // namespace chosei
