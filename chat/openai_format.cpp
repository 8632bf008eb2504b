#include "chat/openai_format.h"

#include <chrono>
#include <cstdio>
#include <mutex>
#include <random>

namespace chosei {

using json = nlohmann::json;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string completion_id() {
  static std::mt19937_64 rng(std::random_device{}());
  static std::mutex m;
  std::lock_guard<std::mutex> lock(m);
  char buf[32];
  std::snprintf(buf, sizeof buf, "chatcmpl-%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

json usage_json(std::int64_t prompt, std::int64_t completion) {
  return {{"prompt_tokens", prompt},
          {"completion_tokens", completion},
          {"total_tokens", prompt + completion}};
}

json chat_completion_json(const std::string& id, const std::string& model, const std::string& text,
                          const std::string& finish_reason, std::int64_t prompt_tokens,
                          std::int64_t completion_tokens) {
  return {{"id", id},
          {"object", "chat.completion"},
          {"created", unix_now()},
          {"model", model},
          {"choices", json::array({{{"index", 0},
                                    {"message", {{"role", "assistant"}, {"content", text}}},
                                    {"logprobs", nullptr},
                                    {"finish_reason", finish_reason}}})},
          {"usage", usage_json(prompt_tokens, completion_tokens)}};
}

json chat_chunk_json(const std::string& id, std::int64_t created, const std::string& model,
                     const json& delta, const json& finish_reason) {
  return {{"id", id},
          {"object", "chat.completion.chunk"},
          {"created", created},
          {"model", model},
          {"choices", json::array({{{"index", 0},
                                    {"delta", delta},
                                    {"logprobs", nullptr},
                                    {"finish_reason", finish_reason}}})}};
}

json usage_chunk_json(const std::string& id, std::int64_t created, const std::string& model,
                      std::int64_t prompt_tokens, std::int64_t completion_tokens) {
  return {{"id", id},
          {"object", "chat.completion.chunk"},
          {"created", created},
          {"model", model},
          {"choices", json::array()},
          {"usage", usage_json(prompt_tokens, completion_tokens)}};
}

std::string sse_event(const json& payload) {
  return "data: " + payload.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
}

}  // namespace chosei
