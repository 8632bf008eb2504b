#include "generate/generation.h"

#include <algorithm>
#include <stdexcept>

#include "generate/text_stream.h"

namespace chosei {

GenerateResult generate(LlamaForCausalLM& model, const Tokenizer& tokenizer,
                        const std::vector<TokenId>& prompt, const GenerateOptions& options,
                        const std::function<void(const std::string&)>& on_text) {
  if (prompt.empty()) throw std::invalid_argument("generate: the prompt has no tokens");
  const auto V = model->config().vocab_size;
  for (auto id : prompt)
    if (id < 0 || id >= V)
      throw std::invalid_argument("generate: prompt token " + std::to_string(id) +
                                  " outside the vocabulary of " + std::to_string(V));
  const auto context = model->config().max_position_embeddings;
  if (static_cast<std::int64_t>(prompt.size()) >= context)
    throw std::invalid_argument("generate: the prompt takes " + std::to_string(prompt.size()) +
                                " tokens; the model's context is " + std::to_string(context));
  c10::InferenceMode inference;
  // The answer stops at the model's context, as llama.cpp's does ("length").
  const std::int64_t capacity =
      std::min<std::int64_t>(context, static_cast<std::int64_t>(prompt.size()) +
                                          std::max<std::int64_t>(options.max_new_tokens, 0));
  const auto device = model->device();
  KvCache cache(model->config(), 1, capacity, model->kv_cache_type(), device);
  Sampler sampler(options.sampling);
  // Embeddings padded past the tokenizer's vocabulary (Qwen2.5: 151,936 rows for 151,665
  // tokens) hold rows no text maps to: they are never drawn.
  const std::int64_t sampled = std::min<std::int64_t>(V, tokenizer.vocab_size());
  // A few prompt tokens of context are enough for the decoder's leading-space rules.
  const std::size_t lead = std::min<std::size_t>(prompt.size(), 4);
  TextStream stream(tokenizer, options.stop,
                    std::vector<TokenId>(prompt.end() - lead, prompt.end()));
  std::vector<TokenId> history = prompt;
  GenerateResult result;
  result.finish_reason = "length";
  auto emit = [&](const std::string& s) {
    if (!s.empty() && on_text) on_text(s);
  };

  ForwardOptions fwd;
  fwd.cache = &cache;
  fwd.last_position_only = true;
  auto input = torch::tensor(std::vector<std::int64_t>(prompt.begin(), prompt.end()), torch::kLong)
                   .unsqueeze(0)
                   .to(device);
  const std::int64_t steps = capacity - static_cast<std::int64_t>(prompt.size());
  const auto& rope = model->config().rope;
  for (std::int64_t step = 0; step < steps; ++step) {
    if (rope.recompute_cache(cache.length(), cache.length() + input.size(1))) {
      cache.reset();  // every key again, with LongRoPE's long factors
      input = torch::tensor(std::vector<std::int64_t>(history.begin(), history.end()), torch::kLong)
                  .unsqueeze(0)
                  .to(device);
    }
    auto logits = model->forward(input, fwd).reshape({V}).to(torch::kCPU).contiguous();
    TokenId next = sampler.sample(logits.data_ptr<float>(), sampled, history);
    if (std::find(options.eos_ids.begin(), options.eos_ids.end(), next) != options.eos_ids.end()) {
      result.finish_reason = "stop";
      break;
    }
    history.push_back(next);
    result.ids.push_back(next);
    emit(stream.push(next));
    if (stream.stopped()) {
      result.finish_reason = "stop";
      break;
    }
    input = torch::full({1, 1}, static_cast<std::int64_t>(next), torch::kLong).to(device);
  }
  emit(stream.finish());
  result.text = stream.text();
  return result;
}

}  // namespace chosei
