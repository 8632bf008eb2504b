#pragma once
// POST /tokenize and /detokenize, in vLLM's shape: what a prompt or a conversation becomes
// for a served model, through the same chat template and tokenizer a chat completion uses,
// so clients count tokens and check prompts without generating.
//
//   {"model", "messages", "add_generation_prompt" (true), "tools", "chat_template_kwargs"} or
//   {"model", "prompt", "add_special_tokens" (true)}
//     -> {"count", "max_model_len", "tokens", "token_strs" (with "return_token_strs")}
//   {"model", "tokens"} -> {"prompt"}

#include "chat/api_caller.h"
#include "chat/http_transport.h"
#include "chat/model_registry.h"

namespace chosei {

void tokenize(const ModelRegistry& models, const ApiCaller& caller, const HttpRequest& req,
              HttpResponse& res);
void detokenize(const ModelRegistry& models, const ApiCaller& caller, const HttpRequest& req,
                HttpResponse& res);

}  // namespace chosei
