#include "generate/generation_loop.h"

#include <algorithm>
#include <limits>

#include "generate/batch_decoder.h"
#include "generate/text_stream.h"

namespace chosei {

struct GenerationLoop::Row {
  std::shared_ptr<GenerationJob> job;
  std::unique_ptr<Sampler> sampler;
  std::unique_ptr<TextStream> text;
  std::vector<TokenId> history;
  std::int64_t generated = 0;
  TokenId next = 0;
  TokenId end_token = -1;  // the EOS id that finished the row
  std::string finish_reason;
  std::vector<char> mask;  // the constraint's, reused step to step

  std::vector<TokenId> completion() const {
    std::vector<TokenId> ids(history.begin() + static_cast<std::ptrdiff_t>(job->prompt.size()),
                             history.end());
    if (end_token >= 0) ids.push_back(end_token);
    return ids;
  }
};

GenerationLoop::GenerationLoop(LlamaForCausalLM model, std::shared_ptr<const Tokenizer> tokenizer,
                               std::int64_t max_batch, std::size_t max_queue, std::int64_t context)
    : model_(std::move(model)),
      tokenizer_(std::move(tokenizer)),
      max_batch_(max_batch),
      context_(context),
      max_queue_(max_queue) {
  model_->eval();
  thread_ = std::thread([this] { run(); });
}

GenerationLoop::~GenerationLoop() { shutdown(); }

bool GenerationLoop::submit(std::shared_ptr<GenerationJob> job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || queue_.size() >= max_queue_) return false;
    queue_.push_back(std::move(job));
    stats_.queued = queue_.size();
  }
  wake_.notify_one();
  return true;
}

void GenerationLoop::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

GenerationLoopStats GenerationLoop::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

// Takes the first text piece and the finish checks for a freshly sampled token.
TokenId GenerationLoop::pick(Row& row, const float* logits, std::int64_t V) {
  auto& job = *row.job;
  if (!job.constraint) return row.sampler->sample(logits, V, row.history);
  const std::int64_t left = std::min(job.max_tokens - row.generated,
                                     context_ - static_cast<std::int64_t>(row.history.size()));
  // Sampling freely and checking is exact (an allowed draw has the constrained distribution's
  // probability); log-probabilities need the masked distribution itself.
  if (!row.sampler->wants_logprobs()) {
    const TokenId free = row.sampler->sample(logits, V, row.history);
    if (job.constraint->allows(free, left)) return free;
  }
  row.mask.assign(static_cast<std::size_t>(V), 0);
  // When nothing finishes within the budget, keep to the language and end at the length cap.
  if (!job.constraint->fill_mask(row.mask, left) &&
      !job.constraint->fill_mask(row.mask, std::numeric_limits<std::int64_t>::max() / 4))
    return -1;
  return row.sampler->sample(logits, V, row.history, &row.mask);
}

bool GenerationLoop::accept(Row& row, TokenId next) {
  const auto& job = *row.job;
  if (next < 0) {
    row.finish_reason = "length";
    return false;
  }
  if (job.constraint) job.constraint->accept(next);
  if (job.on_logprob && row.sampler->wants_logprobs() &&
      std::find(job.eos_ids.begin(), job.eos_ids.end(), next) == job.eos_ids.end())
    job.on_logprob(row.sampler->last_logprob());
  if (std::find(job.eos_ids.begin(), job.eos_ids.end(), next) != job.eos_ids.end()) {
    row.finish_reason = "stop";
    row.end_token = next;
    return false;
  }
  row.history.push_back(next);
  ++row.generated;
  row.next = next;
  const std::string piece = row.text->push(next);
  if (!piece.empty() && job.on_text && !job.on_text(piece)) {
    row.finish_reason = "cancelled";
    return false;
  }
  if (row.text->stopped() || (job.constraint && job.constraint->finished())) {
    row.finish_reason = "stop";
    return false;
  }
  if (row.generated >= job.max_tokens ||
      static_cast<std::int64_t>(row.history.size()) >= context_) {
    row.finish_reason = "length";
    return false;
  }
  return true;
}

namespace {

// log_softmax(logits[t - 1])[prompt[t]] for t >= 1, and the `top` most likely alternatives.
std::vector<TokenLogprob> score_prompt(const torch::Tensor& logits,
                                       const std::vector<TokenId>& prompt, int top) {
  const auto lp =
      torch::log_softmax(logits.to(torch::kFloat64), -1).to(torch::kFloat32).contiguous();
  std::vector<TokenLogprob> out;
  for (std::size_t t = 1; t < prompt.size(); ++t) {
    const auto row = lp[static_cast<std::int64_t>(t - 1)];
    TokenLogprob e;
    e.id = prompt[t];
    e.logprob = row[prompt[t]].item<float>();
    if (top > 0) {
      auto best = row.topk(std::min<std::int64_t>(top, row.size(0)));
      auto values = std::get<0>(best), ids = std::get<1>(best);
      for (std::int64_t k = 0; k < values.size(0); ++k)
        e.top.emplace_back(static_cast<TokenId>(ids[k].item<std::int64_t>()),
                           values[k].item<float>());
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

GenerationLoop::Row GenerationLoop::make_row(std::shared_ptr<GenerationJob> job) const {
  Row row;
  row.job = std::move(job);
  auto sampling = row.job->sampling;
  sampling.penalty_from = row.job->prompt.size();
  row.sampler = std::make_unique<Sampler>(sampling);
  const auto& prompt = row.job->prompt;
  const std::size_t context = std::min<std::size_t>(prompt.size(), 4);
  row.text = std::make_unique<TextStream>(
      *tokenizer_, row.job->stop, std::vector<TokenId>(prompt.end() - context, prompt.end()));
  row.history = prompt;
  return row;
}

// A joined row's first token from its prompt's logits; false when the job is already over
// (scoring only, or finished at its first token), after reporting it done.
bool GenerationLoop::start(Row& row, const torch::Tensor& last, const torch::Tensor& all) {
  auto& job = *row.job;
  GenerationSummary summary;
  summary.prompt_tokens = static_cast<std::int64_t>(job.prompt.size());
  try {
    if (all.defined() && job.on_prompt_logprobs)
      job.on_prompt_logprobs(score_prompt(all, job.prompt, job.prompt_logprobs));
    if (job.max_tokens <= 0) {  // scoring only
      summary.finish_reason = "length";
      if (job.on_done) job.on_done(summary);
      return false;
    }
    auto logits = last.contiguous();
    if (accept(row, pick(row, logits.data_ptr<float>(), logits.numel()))) return true;
    const std::string rest = row.text->finish();
    if (!rest.empty() && job.on_text && row.finish_reason != "cancelled") job.on_text(rest);
    summary.finish_reason = row.finish_reason;
    summary.completion_tokens = row.generated;
    summary.tokens = row.completion();
  } catch (const std::exception& e) {
    summary.finish_reason = "error";
    summary.error = e.what();
  }
  if (job.on_done) job.on_done(summary);
  return false;
}

namespace {
void fail(GenerationJob& job, const std::string& why) {
  GenerationSummary summary;
  summary.prompt_tokens = static_cast<std::int64_t>(job.prompt.size());
  summary.finish_reason = "error";
  summary.error = why;
  if (job.on_done) job.on_done(summary);
}
}  // namespace

// Every waiting job that has a free row joins now, and their prompts are prefilled together
// in one forward pass (not one request, nor one token, at a time).
void GenerationLoop::admit(std::vector<Row>& rows, BatchDecoder& batch) {
  std::vector<Row> joining;
  std::vector<std::pair<std::shared_ptr<GenerationJob>, std::string>> refused;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    while (static_cast<std::int64_t>(rows.size() + joining.size()) < max_batch_ &&
           !queue_.empty()) {
      auto job = queue_.front();
      queue_.pop_front();
      const std::string why = batch.refusal(job->prompt);
      if (!why.empty()) {
        refused.emplace_back(std::move(job), why);
        continue;
      }
      joining.push_back(make_row(std::move(job)));
    }
    stats_.queued = queue_.size();
  }
  for (auto& [job, why] : refused) fail(*job, why);
  if (joining.empty()) return;
  std::vector<std::vector<TokenId>> prompts;
  std::vector<torch::Tensor> all(joining.size());
  std::vector<torch::Tensor*> wanted;
  for (std::size_t j = 0; j < joining.size(); ++j) {
    prompts.push_back(joining[j].job->prompt);
    wanted.push_back(joining[j].job->prompt_logprobs >= 0 ? &all[j] : nullptr);
  }
  std::vector<torch::Tensor> last;
  try {
    last = batch.add(prompts, wanted);
  } catch (const std::exception& e) {
    for (auto& row : joining) fail(*row.job, e.what());
    return;
  }
  const auto first = static_cast<std::int64_t>(rows.size());
  std::vector<bool> going(joining.size());
  for (std::size_t j = 0; j < joining.size(); ++j) going[j] = start(joining[j], last[j], all[j]);
  // Finished rows leave from the back, the batch's last row taking each one's place.
  for (std::size_t j = joining.size(); j-- > 0;) {
    if (going[j]) continue;
    batch.remove(first + static_cast<std::int64_t>(j));
    if (j != joining.size() - 1) joining[j] = std::move(joining.back());
    joining.pop_back();
  }
  for (auto& row : joining) rows.push_back(std::move(row));
}

void GenerationLoop::run() {
  c10::InferenceMode inference;
  BatchDecoder batch(model_, max_batch_, context_ + 1);
  std::vector<Row> rows;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty() || !rows.empty(); });
      if (stopping_ && queue_.empty() && rows.empty()) return;
    }
    admit(rows, batch);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stats_.active = rows.size();
    }
    if (rows.empty()) continue;
    std::vector<TokenId> tokens;
    for (const auto& r : rows) tokens.push_back(r.next);
    auto logits = batch.step(tokens).contiguous();
    // Never an id past the tokenizer's vocabulary (padded embedding rows decode to nothing).
    const auto V = std::min<std::int64_t>(logits.size(1), tokenizer_->vocab_size());
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++stats_.steps;
      stats_.batched_rows += static_cast<std::int64_t>(rows.size());
    }
    std::vector<bool> done(rows.size(), false);
    for (std::size_t r = 0; r < rows.size(); ++r) {
      const TokenId next = pick(rows[r], logits[static_cast<std::int64_t>(r)].data_ptr<float>(), V);
      done[r] = !accept(rows[r], next);
    }
    for (std::size_t k = rows.size(); k-- > 0;) {
      if (!done[k]) continue;
      Row finished = std::move(rows[k]);
      batch.remove(static_cast<std::int64_t>(k));
      if (k != rows.size() - 1) rows[k] = std::move(rows.back());
      rows.pop_back();
      const auto& job = *finished.job;
      const std::string rest = finished.text->finish();
      if (!rest.empty() && job.on_text && finished.finish_reason != "cancelled") job.on_text(rest);
      GenerationSummary summary{finished.finish_reason,
                                static_cast<std::int64_t>(job.prompt.size()), finished.generated,
                                "", finished.completion()};
      if (job.on_done) job.on_done(summary);
    }
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.active = rows.size();
  }
}

}  // namespace chosei
