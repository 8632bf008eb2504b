#pragma once
// The JSON shapes of OpenAI's chat completions API that the server answers with: ids,
// usage, whole completions, stream chunks and the model list, as the official clients
// parse them (platform.openai.com/docs/api-reference/chat).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace chosei {

std::int64_t unix_now();
std::string completion_id();  // "chatcmpl-" + 16 hex digits

nlohmann::json usage_json(std::int64_t prompt_tokens, std::int64_t completion_tokens);

nlohmann::json chat_completion_json(const std::string& id, const std::string& model,
                                    const std::string& text, const std::string& finish_reason,
                                    std::int64_t prompt_tokens, std::int64_t completion_tokens);

// One "chat.completion.chunk": `delta` and `finish_reason` (null while streaming).
nlohmann::json chat_chunk_json(const std::string& id, std::int64_t created,
                               const std::string& model, const nlohmann::json& delta,
                               const nlohmann::json& finish_reason);
// The last chunk when stream_options.include_usage: no choices, the usage.
nlohmann::json usage_chunk_json(const std::string& id, std::int64_t created,
                                const std::string& model, std::int64_t prompt_tokens,
                                std::int64_t completion_tokens);

// A server-sent event carrying `payload` (invalid UTF-8 replaced, never thrown on).
std::string sse_event(const nlohmann::json& payload);

}  // namespace chosei
