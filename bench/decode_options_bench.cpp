#include "bench/decode_options_bench.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <iostream>

#include "formats/model_dir.h"
#include "generate/generation_loop.h"
#include "generate/grammar_constraint.h"
#include "generate/json_grammar.h"
#include "model/compute_threads.h"

namespace chosei {

namespace {

enum class Mode { kPlain, kLogprobs, kJson };

// Times the constraint's full-vocabulary masks (the expensive path) and counts the steps.
class TimedConstraint : public TokenConstraint {
 public:
  explicit TimedConstraint(std::shared_ptr<TokenConstraint> inner) : inner_(std::move(inner)) {}
  bool allows(TokenId id, std::int64_t left) override { return inner_->allows(id, left); }
  bool fill_mask(std::vector<char>& mask, std::int64_t left) override {
    const auto t0 = std::chrono::steady_clock::now();
    const bool any = inner_->fill_mask(mask, left);
    mask_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++masks;
    return any;
  }
  void accept(TokenId id) override {
    ++steps;
    inner_->accept(id);
  }
  bool finished() const override { return inner_->finished(); }
  static inline double mask_seconds = 0;
  static inline std::int64_t masks = 0, steps = 0;

 private:
  std::shared_ptr<TokenConstraint> inner_;
};

// Requests of `tokens` tokens (JSON ones may end sooner) until `tokens` are generated;
// generated tokens per second.
double tokens_per_second(GenerationLoop& loop, const LoadedModel& m, const TokenBytes& bytes,
                         const VocabularyTrie& trie, Mode mode, std::int64_t tokens) {
  const Tokenizer& tok = *m.tokenizer.tokenizer;
  std::int64_t generated = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (std::uint64_t seed = 1; generated < tokens; ++seed) {
    auto job = std::make_shared<GenerationJob>();
    job->prompt = {tok.bos_id() >= 0 ? tok.bos_id() : 0};
    job->max_tokens = tokens - generated;
    job->sampling.temperature = 1;
    job->sampling.seed = seed;
    if (mode == Mode::kLogprobs) job->sampling.top_logprobs = 5;
    if (mode == Mode::kJson)
      job->constraint = std::make_shared<TimedConstraint>(
          std::make_shared<GrammarConstraint>(json_object_grammar(), bytes, trie, m.eos_ids()));
    std::promise<GenerationSummary> done;
    job->on_done = [&](const GenerationSummary& s) { done.set_value(s); };
    if (!loop.submit(job)) throw std::runtime_error("the generation queue refused a job");
    generated += done.get_future().get().completion_tokens;
  }
  return static_cast<double>(generated) /
         std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int bench_decode_options(const std::string& dir, std::int64_t tokens, int threads) {
  set_compute_threads(threads);
  auto m = load_model_dir(dir);
  const Tokenizer* tok = m.tokenizer.tokenizer.get();
  const TokenBytes bytes(*tok);
  const VocabularyTrie trie(bytes);
  GenerationLoop loop(m.model, std::shared_ptr<const Tokenizer>(tok, [](const Tokenizer*) {}), 1, 4,
                      m.model->config().max_position_embeddings);
  tokens_per_second(loop, m, bytes, trie, Mode::kPlain, 16);  // warm-up
  const double plain = tokens_per_second(loop, m, bytes, trie, Mode::kPlain, tokens);
  const double logprobs = tokens_per_second(loop, m, bytes, trie, Mode::kLogprobs, tokens);
  const double json = tokens_per_second(loop, m, bytes, trie, Mode::kJson, tokens);
  loop.shutdown();
  std::cout << "plain_tokens_per_s " << plain << " logprobs_tokens_per_s " << logprobs
            << " json_tokens_per_s " << json << " json_mask_ms "
            << 1000 * TimedConstraint::mask_seconds /
                   std::max<std::int64_t>(1, TimedConstraint::masks)
            << " json_masked_steps "
            << static_cast<double>(TimedConstraint::masks) /
                   std::max<std::int64_t>(1, TimedConstraint::steps)
            << "\n";
  return 0;
}

}  // namespace chosei
