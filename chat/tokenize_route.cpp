#include "chat/tokenize_route.h"

#include <nlohmann/json.hpp>

#include "chat/api_error.h"
#include "chat/chat_request.h"

namespace chosei {

namespace {

using json = nlohmann::json;

json request_body(const HttpRequest& req) {
  const auto body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    throw invalid_request("the request body must be a JSON object");
  return body;
}

std::shared_ptr<const ServedModel> requested_model(const ModelRegistry& models,
                                                   const ApiCaller& caller, const json& body) {
  if (!body.contains("model") || !body["model"].is_string())
    throw invalid_request("model is required", "model", "missing_required_parameter");
  const std::string name = body["model"];
  auto sm = models.find(name);
  if (!sm || !caller.sees(sm->owner))
    throw ApiError(404, "The model `" + name + "` does not exist", "invalid_request_error", "model",
                   "model_not_found");
  return sm;
}

bool flag(const json& body, const char* name, bool fallback) {
  if (!body.contains(name) || body[name].is_null()) return fallback;
  if (!body[name].is_boolean())
    throw invalid_request(std::string(name) + " must be a boolean", name, "invalid_type");
  return body[name].get<bool>();
}

std::vector<TokenId> conversation_ids(const ServedModel& sm, const json& body,
                                      const std::string& raw) {
  if (!sm.chat_template)
    throw invalid_request("the model `" + sm.name + "` has no chat template (a base model)",
                          "model", "no_chat_template");
  json chat = {{"model", body["model"]}, {"messages", body["messages"]}};
  for (const char* field : {"tools", "chat_template_kwargs"})
    if (body.contains(field)) chat[field] = body[field];
  const auto r = parse_chat_request(chat, {}, raw);
  return sm.render(r.messages, r.tools.definitions, r.chat_template_kwargs,
                   flag(body, "add_generation_prompt", true));
}

}  // namespace

void tokenize(const ModelRegistry& models, const ApiCaller& caller, const HttpRequest& req,
              HttpResponse& res) {
  const auto body = request_body(req);
  const auto sm = requested_model(models, caller, body);
  std::vector<TokenId> ids;
  if (body.contains("messages")) {
    ids = conversation_ids(*sm, body, req.body);
  } else if (body.contains("prompt") && body["prompt"].is_string()) {
    ids = sm->tokenizer().encode(body["prompt"].get<std::string>(),
                                 flag(body, "add_special_tokens", true));
  } else {
    throw invalid_request("give messages (a conversation) or prompt (a string)", "messages",
                          "missing_required_parameter");
  }
  json out = {{"count", ids.size()}, {"max_model_len", sm->loop->context()}, {"tokens", ids}};
  if (flag(body, "return_token_strs", false)) {
    json strs = json::array();
    for (TokenId id : ids) strs.push_back(sm->tokenizer().id_to_token(id));
    out["token_strs"] = strs;
  }
  res.body = out.dump(-1, ' ', false, json::error_handler_t::replace);
}

void detokenize(const ModelRegistry& models, const ApiCaller& caller, const HttpRequest& req,
                HttpResponse& res) {
  const auto body = request_body(req);
  const auto sm = requested_model(models, caller, body);
  if (!body.contains("tokens") || !body["tokens"].is_array())
    throw invalid_request("tokens must be an array of token ids", "tokens", "invalid_type");
  std::vector<TokenId> ids;
  const auto vocab = sm->tokenizer().vocab_size();
  for (const auto& t : body["tokens"]) {
    if (!t.is_number_integer() || t.get<std::int64_t>() < 0 || t.get<std::int64_t>() >= vocab)
      throw invalid_request("tokens holds " + t.dump() + ", not a token id of this model (0 to " +
                                std::to_string(vocab - 1) + ")",
                            "tokens", "invalid_value");
    ids.push_back(t.get<TokenId>());
  }
  res.body = json{{"prompt", sm->tokenizer().decode(ids)}}.dump(-1, ' ', false,
                                                                json::error_handler_t::replace);
}

}  // namespace chosei
