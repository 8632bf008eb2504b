#pragma once
// A POST /v1/completions body (OpenAI's legacy completions): raw prompts continued without a
// chat template. Every problem is an ApiError(400) naming the field.

#include <nlohmann/json.hpp>
#include <string>
#include <variant>
#include <vector>

#include "chat/generation_params.h"
#include "tokenizer/tokenizer.h"

namespace chosei {

struct CompletionRequest : GenerationParams {
  // Each prompt as text, or as token ids when the client sent ids.
  std::vector<std::variant<std::string, std::vector<TokenId>>> prompts;
  bool echo = false;  // with logprobs: the prompt's tokens are scored too (the first: null)
  int logprobs = -1;  // -1: none; 0..5 alternatives
};

CompletionRequest parse_completion_request(const nlohmann::json& body,
                                           const RequestLimits& limits = {});

}  // namespace chosei
