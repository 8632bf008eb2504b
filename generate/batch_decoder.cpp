#include "generate/batch_decoder.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace chosei {

namespace {
// From this many prompt tokens in one join, LibTorch's packed prefill beats the engine's.
constexpr std::int64_t kPackedPrefillTokens = 32;

// Why `prompt` cannot take a row of `capacity` positions ("" when it can).
std::string too_long(const std::vector<TokenId>& prompt, std::int64_t capacity) {
  const auto P = static_cast<std::int64_t>(prompt.size());
  if (P > 0 && P < capacity) return "";
  return "a prompt of " + std::to_string(P) + " tokens does not fit " + std::to_string(capacity) +
         " positions";
}
}  // namespace

BatchDecoder::BatchDecoder(LlamaForCausalLM& model, std::int64_t max_rows, std::int64_t capacity)
    : model_(model),
      max_rows_(max_rows),
      capacity_(capacity),
      cache_(model->config(), max_rows, capacity, model->kv_cache_type(), model->device()),
      positions_(static_cast<std::size_t>(max_rows), 0),
      tokens_(static_cast<std::size_t>(max_rows)) {
  // LibTorch's steps read every row's columns under a mask: they must hold numbers.
  if (!model->decodes_on_engine()) cache_.zero();
}

std::string BatchDecoder::refusal(const std::vector<TokenId>& prompt) const {
  if (const auto why = too_long(prompt, capacity_); !why.empty()) return why;
  if (rows_ == max_rows_) return "no free row in the batch";
  return "";
}

torch::Tensor BatchDecoder::add(const std::vector<TokenId>& prompt, torch::Tensor* all_logits) {
  return add(std::vector<std::vector<TokenId>>{prompt}, {all_logits}).front();
}

std::vector<torch::Tensor> BatchDecoder::add(const std::vector<std::vector<TokenId>>& prompts,
                                             const std::vector<torch::Tensor*>& all_logits) {
  if (rows_ + static_cast<std::int64_t>(prompts.size()) > max_rows_)
    throw std::length_error("no free row in the batch for " + std::to_string(prompts.size()) +
                            " prompts (" + std::to_string(max_rows_ - rows_) + " free)");
  for (const auto& prompt : prompts)
    if (const auto why = too_long(prompt, capacity_); !why.empty()) throw std::length_error(why);
  c10::InferenceMode inference;
  std::int64_t total = 0;
  for (const auto& prompt : prompts) total += static_cast<std::int64_t>(prompt.size());
  if ((total >= kPackedPrefillTokens || !model_->decodes_on_engine()) && !model_->decode_only())
    return prefill_packed(prompts, all_logits);
  std::vector<DecodeInput> inputs;
  for (std::size_t j = 0; j < prompts.size(); ++j) {
    const bool every = j < all_logits.size() && all_logits[j];
    const auto row = rows_ + static_cast<std::int64_t>(j);
    const auto P = static_cast<std::int64_t>(prompts[j].size());
    for (std::int64_t p = 0; p < P; ++p)
      inputs.push_back({prompts[j][static_cast<std::size_t>(p)], row, p, every || p == P - 1});
  }
  auto logits = model_->decode_engine().forward(inputs, cache_);
  std::vector<torch::Tensor> last;
  std::int64_t at = 0;
  for (std::size_t j = 0; j < prompts.size(); ++j) {
    const bool every = j < all_logits.size() && all_logits[j];
    const auto n = every ? static_cast<std::int64_t>(prompts[j].size()) : 1;
    auto mine = logits.narrow(0, at, n);
    if (every) *all_logits[j] = mine;
    last.push_back(mine.select(0, n - 1).contiguous());
    at += n;
    tokens_[static_cast<std::size_t>(rows_)] = prompts[j];
    positions_[static_cast<std::size_t>(rows_++)] = static_cast<std::int64_t>(prompts[j].size());
  }
  return last;
}

// The prompts as one sequence (positions restarting at 0 per prompt, a block-diagonal
// causal mask), the logits only where wanted.
std::vector<torch::Tensor> BatchDecoder::prefill_packed(
    const std::vector<std::vector<TokenId>>& prompts,
    const std::vector<torch::Tensor*>& all_logits) {
  std::vector<std::int64_t> ids, positions, starts;
  for (const auto& prompt : prompts) {
    starts.push_back(static_cast<std::int64_t>(ids.size()));
    for (std::size_t p = 0; p < prompt.size(); ++p) {
      ids.push_back(prompt[p]);
      positions.push_back(static_cast<std::int64_t>(p));
    }
  }
  const auto total = static_cast<std::int64_t>(ids.size());
  const auto device = model_->device();
  auto segment = torch::empty({total}, torch::kLong);
  for (std::size_t j = 0; j < prompts.size(); ++j)
    segment.narrow(0, starts[j], static_cast<std::int64_t>(prompts[j].size()))
        .fill_(static_cast<std::int64_t>(j));
  segment = segment.to(device);
  auto pos = torch::tensor(positions, torch::kLong).to(device);
  auto same = segment.unsqueeze(1).eq(segment.unsqueeze(0));
  auto causal = pos.unsqueeze(1).ge(pos.unsqueeze(0));
  KvCache packed(model_->config(), 1, total, model_->kv_cache_type(), device);
  ForwardOptions fwd;
  fwd.cache = &packed;
  fwd.positions = pos.unsqueeze(0);
  fwd.attention_mask = same.logical_and(causal).unsqueeze(0);
  auto hidden =
      model_->hidden_states(torch::tensor(ids, torch::kLong).unsqueeze(0).to(device), fwd)[0];
  std::vector<torch::Tensor> last;
  for (std::size_t j = 0; j < prompts.size(); ++j) {
    const auto P = static_cast<std::int64_t>(prompts[j].size());
    const bool every = j < all_logits.size() && all_logits[j];
    auto mine = model_
                    ->logits_from_hidden(every ? hidden.narrow(0, starts[j], P)
                                               : hidden.narrow(0, starts[j] + P - 1, 1))
                    .to(torch::kCPU);  // the sampler reads host memory
    if (every) *all_logits[j] = mine;
    last.push_back(mine.select(0, mine.size(0) - 1).contiguous());
    cache_.copy_row_from(packed, 0, rows_, 0, P, starts[j]);
    tokens_[static_cast<std::size_t>(rows_)] = prompts[j];
    positions_[static_cast<std::size_t>(rows_++)] = P;
  }
  return last;
}

torch::Tensor BatchDecoder::step(const std::vector<TokenId>& tokens) {
  if (static_cast<std::int64_t>(tokens.size()) != rows_)
    throw std::invalid_argument("step: " + std::to_string(tokens.size()) + " tokens for " +
                                std::to_string(rows_) + " rows");
  c10::InferenceMode inference;
  const bool engine = model_->decodes_on_engine();
  const auto& rope = model_->config().rope;
  std::vector<DecodeInput> inputs;
  for (std::int64_t r = 0; r < rows_; ++r) {
    if (positions_[r] >= capacity_)
      throw std::length_error("row " + std::to_string(r) + " holds " +
                              std::to_string(positions_[r]) + " positions, its capacity");
    const auto& held = tokens_[static_cast<std::size_t>(r)];
    if (rope.recompute_cache(positions_[r], positions_[r] + 1)) {
      if (!engine) recompute_row(r);
      for (std::int64_t p = 0; engine && p < positions_[r]; ++p)
        inputs.push_back({held[static_cast<std::size_t>(p)], r, p, false});
    }
    inputs.push_back({tokens[static_cast<std::size_t>(r)], r, positions_[r], true});
  }
  auto logits =
      engine ? model_->decode_engine().forward(inputs, cache_) : step_through_libtorch(tokens);
  for (std::int64_t r = 0; r < rows_; ++r) {
    ++positions_[r];
    tokens_[static_cast<std::size_t>(r)].push_back(tokens[static_cast<std::size_t>(r)]);
  }
  return logits;
}

void BatchDecoder::recompute_row(std::int64_t row) {
  const auto& held = tokens_[static_cast<std::size_t>(row)];
  const auto P = static_cast<std::int64_t>(held.size());
  const auto device = model_->device();
  KvCache fresh(model_->config(), 1, P, model_->kv_cache_type(), device);
  ForwardOptions fwd;
  fwd.cache = &fresh;
  fwd.rope_length = P + 1;  // the length the step reaches
  model_->hidden_states(
      torch::tensor(std::vector<std::int64_t>(held.begin(), held.end()), torch::kLong)
          .unsqueeze(0)
          .to(device),
      fwd);
  cache_.copy_row_from(fresh, 0, row, 0, P);
}

// Every row's token at its own position in one LibTorch pass: the cache written at those
// columns, each row's mask ending at its position.
torch::Tensor BatchDecoder::step_through_libtorch(const std::vector<TokenId>& tokens) {
  const auto device = model_->device();
  std::vector<std::int64_t> ids(tokens.begin(), tokens.end());
  std::vector<std::int64_t> at(positions_.begin(), positions_.begin() + rows_);
  const auto columns = *std::max_element(at.begin(), at.end()) + 1;
  auto pos = torch::tensor(at, torch::kLong).view({rows_, 1}).to(device);
  ForwardOptions fwd;
  fwd.cache = &cache_;
  fwd.cache_at_positions = true;
  fwd.positions = pos;
  fwd.attention_mask =
      torch::arange(columns, pos.options()).view({1, 1, columns}).le(pos.view({rows_, 1, 1}));
  auto hidden =
      model_->hidden_states(torch::tensor(ids, torch::kLong).view({rows_, 1}).to(device), fwd);
  return model_->logits_from_hidden(hidden).view({rows_, -1}).to(torch::kCPU);
}

void BatchDecoder::remove(std::int64_t row) {
  if (row < 0 || row >= rows_) throw std::out_of_range("remove: no row " + std::to_string(row));
  const auto last = rows_ - 1;
  if (row != last) {
    cache_.copy_row_from(cache_, last, row, 0, positions_[last]);
    positions_[row] = positions_[last];
    tokens_[static_cast<std::size_t>(row)] = std::move(tokens_[static_cast<std::size_t>(last)]);
  }
  positions_[last] = 0;
  tokens_[static_cast<std::size_t>(last)].clear();
  --rows_;
}

}  // namespace chosei
