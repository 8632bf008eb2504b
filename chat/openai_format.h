#pragma once
// The JSON shapes of OpenAI's chat completions API that the server answers with: ids,
// usage, whole completions, stream chunks and the model list, as the official clients
// parse them (platform.openai.com/docs/api-reference/chat).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "generate/sampler.h"
#include "generate/token_bytes.h"

namespace chosei {

std::int64_t unix_now();
std::string completion_id(const char* prefix = "chatcmpl-");  // prefix + 16 hex digits

nlohmann::json usage_json(std::int64_t prompt_tokens, std::int64_t completion_tokens);

// One choice of a chat.completion; `logprobs` is null or chat_logprobs_json's.
nlohmann::json chat_choice_json(std::size_t index, const std::string& text,
                                const std::string& finish_reason, const nlohmann::json& logprobs);
nlohmann::json chat_completion_json(const std::string& id, const std::string& model,
                                    const nlohmann::json& choices, std::int64_t prompt_tokens,
                                    std::int64_t completion_tokens);

// One "chat.completion.chunk" for choice `index`: `delta` and `finish_reason` (null while
// streaming).
nlohmann::json chat_chunk_json(const std::string& id, std::int64_t created,
                               const std::string& model, const nlohmann::json& delta,
                               const nlohmann::json& finish_reason, std::size_t index = 0,
                               const nlohmann::json& logprobs = nullptr);

// Chat log-probabilities: {"content": [{token, logprob, bytes, top_logprobs: [...]}],
// "refusal": null}. A token's text is its bytes as UTF-8 (U+FFFD where a character is
// split between tokens); `bytes` are exact.
nlohmann::json chat_logprobs_json(const std::vector<TokenLogprob>& logprobs,
                                  const TokenBytes& bytes, const Tokenizer& tokenizer);
// Legacy completions' shape: {tokens, token_logprobs, top_logprobs: [{token: logprob}],
// text_offset}, offsets counted from `offset` in the choice's text (negative when the text
// lacks bytes the first tokens carry, as the leading space SentencePiece strips; offsets
// never go below 0). A NaN logprob is written null (an echoed prompt's first token).
nlohmann::json completion_logprobs_json(const std::vector<TokenLogprob>& logprobs,
                                        const TokenBytes& bytes, const Tokenizer& tokenizer,
                                        std::int64_t offset);

// A legacy "text_completion" (POST /v1/completions) and its stream chunks.
nlohmann::json completion_choice_json(std::size_t index, const std::string& text,
                                      const nlohmann::json& finish_reason,
                                      const nlohmann::json& logprobs);
nlohmann::json text_completion_json(const std::string& id, std::int64_t created,
                                    const std::string& model, const nlohmann::json& choices,
                                    const nlohmann::json& usage);
// The last chunk when stream_options.include_usage: no choices, the usage.
nlohmann::json usage_chunk_json(const std::string& id, std::int64_t created,
                                const std::string& model, std::int64_t prompt_tokens,
                                std::int64_t completion_tokens);

// A server-sent event carrying `payload` (invalid UTF-8 replaced, never thrown on).
std::string sse_event(const nlohmann::json& payload);

}  // namespace chosei
