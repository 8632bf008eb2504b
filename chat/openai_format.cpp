#include "chat/openai_format.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <random>

#include "base/unicode_text.h"

namespace chosei {

using json = nlohmann::json;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string completion_id(const char* prefix) {
  static std::mt19937_64 rng(std::random_device{}());
  static std::mutex m;
  std::lock_guard<std::mutex> lock(m);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return prefix + std::string(buf);
}

json usage_json(std::int64_t prompt, std::int64_t completion) {
  return {{"prompt_tokens", prompt},
          {"completion_tokens", completion},
          {"total_tokens", prompt + completion}};
}

json chat_choice_json(std::size_t index, const std::string& text, const std::string& finish_reason,
                      const json& logprobs) {
  return {{"index", index},
          {"message", {{"role", "assistant"}, {"content", text}, {"refusal", nullptr}}},
          {"logprobs", logprobs},
          {"finish_reason", finish_reason}};
}

json chat_completion_json(const std::string& id, const std::string& model, const json& choices,
                          std::int64_t prompt_tokens, std::int64_t completion_tokens) {
  return {{"id", id},
          {"object", "chat.completion"},
          {"created", unix_now()},
          {"model", model},
          {"choices", choices},
          {"usage", usage_json(prompt_tokens, completion_tokens)}};
}

json chat_chunk_json(const std::string& id, std::int64_t created, const std::string& model,
                     const json& delta, const json& finish_reason, std::size_t index,
                     const json& logprobs) {
  return {{"id", id},
          {"object", "chat.completion.chunk"},
          {"created", created},
          {"model", model},
          {"choices", json::array({{{"index", index},
                                    {"delta", delta},
                                    {"logprobs", logprobs},
                                    {"finish_reason", finish_reason}}})}};
}

namespace {

std::string token_text(TokenId id, const TokenBytes& bytes, const Tokenizer& tok) {
  if (id >= 0 && id < bytes.size() && bytes.usable(id)) return utf8_lossy(bytes.of(id));
  return tok.id_to_token(id);
}

json byte_list(TokenId id, const TokenBytes& bytes, const Tokenizer& tok) {
  json out = json::array();
  for (unsigned char b :
       (id >= 0 && id < bytes.size() && bytes.usable(id)) ? bytes.of(id) : tok.id_to_token(id))
    out.push_back(static_cast<int>(b));
  return out;
}

}  // namespace

json chat_logprobs_json(const std::vector<TokenLogprob>& logprobs, const TokenBytes& bytes,
                        const Tokenizer& tok) {
  json content = json::array();
  for (const auto& lp : logprobs) {
    json top = json::array();
    for (const auto& [id, value] : lp.top)
      top.push_back({{"token", token_text(id, bytes, tok)},
                     {"logprob", value},
                     {"bytes", byte_list(id, bytes, tok)}});
    content.push_back({{"token", token_text(lp.id, bytes, tok)},
                       {"logprob", lp.logprob},
                       {"bytes", byte_list(lp.id, bytes, tok)},
                       {"top_logprobs", top}});
  }
  return {{"content", content}, {"refusal", nullptr}};
}

json completion_logprobs_json(const std::vector<TokenLogprob>& logprobs, const TokenBytes& bytes,
                              const Tokenizer& tok, std::int64_t offset) {
  json tokens = json::array(), values = json::array(), tops = json::array(),
       offsets = json::array();
  for (const auto& lp : logprobs) {
    tokens.push_back(token_text(lp.id, bytes, tok));
    if (std::isnan(lp.logprob)) {  // an echoed prompt's first token: nothing to condition on
      values.push_back(nullptr);
      tops.push_back(nullptr);
    } else {
      values.push_back(lp.logprob);
      json top = json::object();
      for (const auto& [id, value] : lp.top) top[token_text(id, bytes, tok)] = value;
      tops.push_back(top);
    }
    offsets.push_back(std::max<std::int64_t>(0, offset));
    offset += (lp.id >= 0 && lp.id < bytes.size() && bytes.usable(lp.id))
                  ? static_cast<std::int64_t>(bytes.of(lp.id).size())
                  : 0;
  }
  return {{"tokens", tokens},
          {"token_logprobs", values},
          {"top_logprobs", tops},
          {"text_offset", offsets}};
}

json completion_choice_json(std::size_t index, const std::string& text, const json& finish_reason,
                            const json& logprobs) {
  return {
      {"index", index}, {"text", text}, {"logprobs", logprobs}, {"finish_reason", finish_reason}};
}

json text_completion_json(const std::string& id, std::int64_t created, const std::string& model,
                          const json& choices, const json& usage) {
  json out = {{"id", id},
              {"object", "text_completion"},
              {"created", created},
              {"model", model},
              {"choices", choices}};
  if (!usage.is_null()) out["usage"] = usage;
  return out;
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
