#pragma once
// A POST /v1/chat/completions body, parsed and checked field by field. Every problem is an
// ApiError(400) naming the field (`param`), as OpenAI's API answers.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tokenizer/chat_template.h"

namespace chosei {

struct ChatRequest {
  std::string model;
  std::vector<ChatMessage> messages;  // "developer" arrives as "system"
  double temperature = 1.0;
  double top_p = 1.0;
  std::optional<std::int64_t> max_tokens;  // max_completion_tokens or max_tokens
  std::vector<std::string> stop;
  std::optional<std::uint64_t> seed;
  double presence_penalty = 0, frequency_penalty = 0;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  std::string user;
};

ChatRequest parse_chat_request(const nlohmann::json& body);

}  // namespace chosei
