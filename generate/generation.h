#pragma once
// generate(): autoregressive decoding with a KV cache: one prefill pass over the prompt,
// then one single-token pass per new token. Stops at an EOS id, a stop string or the token
// limit; streams text through a callback as it becomes final.

#include <functional>
#include <string>
#include <vector>

#include "generate/sampler.h"
#include "model/llama_model.h"
#include "tokenizer/tokenizer.h"

namespace chosei {

struct GenerateOptions {
  std::int64_t max_new_tokens = 256;
  SamplingOptions sampling;
  std::vector<std::string> stop;
  std::vector<TokenId> eos_ids;  // any of these ends generation (not included in the text)
};

struct GenerateResult {
  std::vector<TokenId> ids;   // generated ids (EOS excluded)
  std::string text;           // the released text
  std::string finish_reason;  // "stop" (EOS or stop string) or "length"
};

// `on_text` receives each newly final piece of text; it may be empty.
GenerateResult generate(LlamaForCausalLM& model, const Tokenizer& tokenizer,
                        const std::vector<TokenId>& prompt, const GenerateOptions& options,
                        const std::function<void(const std::string&)>& on_text = {});

}  // namespace chosei
